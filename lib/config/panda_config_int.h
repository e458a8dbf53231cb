/*  panda_config_int.h - private to lib/config/panda_config*.c: the table of
    settings, which the loaders (panda_config.c) and the printers
    (panda_config_print.c) both walk.                                        */
#ifndef PANDA_CONFIG_INT_H_INCLUDED
#define PANDA_CONFIG_INT_H_INCLUDED

#include "panda/panda_config.h"

#include <jansson.h>
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

//  True for aquadoggo's keys that pandad accepts but does not use (yet, or
//  ever: panda_config_no_effect).

//  The setting named key (case-insensitive; len bytes), or NULL. An old
//  aquadoggo name finds today's setting and adds a warning naming source.
const setting_t *panda_config_find_key (panda_config_t *self, const char *key, size_t len,
                                        const char *source);

//  Apply a value from config.toml (typed JSON) or a list from anywhere.
panda_err_t panda_config_apply_json (panda_config_t *self, const setting_t *s, json_t *value,
                                     const char *source, panda_error_t *err);

//  Add a line to self->warnings.
void panda_config_warn (panda_config_t *self, const char *format, ...)
    __attribute__ ((format (printf, 2, 3)));

//  The value of name in envp ("NAME=value" strings), NULL when unset or empty.
const char *panda_config_env (char **envp, const char *name);

//  Find and apply the config file (panda_config_file.c): -c/--config,
//  else $CONFIG, else ./config.toml, else the XDG one, if present. Sets
//  self->config_path to the file read.
panda_err_t panda_config_load_file (panda_config_t *self, int argc, char **argv, char **envp,
                                    panda_error_t *err);

//  Expand a leading ~ and $HOME / ${HOME} in the path settings (data_dir,
//  database_url after "sqlite:", blobs_base_path, private_key).
panda_err_t panda_config_expand_paths (panda_config_t *self, char **envp, panda_error_t *err);

//  Text for path with ~ and $HOME expanded (caller frees), NULL with err
//  set when HOME is needed but unset, or out of memory. what names the
//  setting in the error.
char *panda_config_expand (const char *path, char **envp, const char *what, panda_error_t *err);

#endif
