/*  panda_config_int.h - private to lib/config/panda_config*.c: the table of
    settings, which the loaders (panda_config.c) and the printers
    (panda_config_print.c) both walk.                                        */
#ifndef PANDA_CONFIG_INT_H_INCLUDED
#define PANDA_CONFIG_INT_H_INCLUDED

#include "panda/panda_config.h"

#include <stddef.h>

typedef enum { T_PORT, T_UINT, T_STRING, T_BOOL, T_LIST, T_STAR_LIST, T_LEVEL, T_TRANSPORT, T_PSK } type_t;

typedef struct {
    const char *key;
    char flag; //  short flag, 0 if none
    type_t type;
    size_t offset; //  of the value in panda_config_t
    size_t star_offset; //  T_STAR_LIST: offset of the "*" bool
    const char *fallback; //  default as text, NULL for none
    const char *value_name;
    const char *help;
} setting_t;

//  Every setting, in --help order.
extern const setting_t panda_config_settings[];
extern const size_t panda_config_settings_count;

//  True for aquadoggo's keys that pandad accepts but does not use yet.
bool panda_config_is_not_used_yet (const char *key);

#endif
