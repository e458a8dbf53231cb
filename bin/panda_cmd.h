/*  panda_cmd.h - subcommands of the panda CLI, one file each (bin/panda_cmd_<name>.c).

    A subcommand gets argv starting at its own name ("entry", "sign", ...),
    prints its result on stdout and returns the exit status. On bad input it
    prints exactly one line "panda: <message>" on stderr and returns 1.     */
#ifndef PANDA_CMD_H_INCLUDED
#define PANDA_CMD_H_INCLUDED

#include "panda_client.h"

typedef struct {
    const char *name;
    int (*run) (int argc, char **argv);
    const char *usage; //  one or more lines shown by `panda help`
} panda_cmd_t;

//  Print "panda: <message>" on stderr; returns 1 (the bad-input status).
int panda_cmd_fail (const char *format, ...) __attribute__ ((format (printf, 1, 2)));

//  What a publish did, labelled (or as JSON with --json): what ("created
//  document"), the schema and document (either may be NULL).
void panda_cmd_print_published (const panda_client_t *client, const char *what, const char *schema_id,
                                const char *document_id, const panda_client_published_t *published);

int panda_cmd_key (int argc, char **argv);
int panda_cmd_entry (int argc, char **argv);
int panda_cmd_operation (int argc, char **argv);
int panda_cmd_schema (int argc, char **argv);
int panda_cmd_next_args (int argc, char **argv);
int panda_cmd_publish (int argc, char **argv);
int panda_cmd_document (int argc, char **argv);
int panda_cmd_query (int argc, char **argv);
int panda_cmd_blob (int argc, char **argv);

#endif
