/*  panda_client.h - what the panda CLI's node commands share: their common
    options (--node, --key, --json, --timeout, --max-answer), the key file,
    GraphQL over HTTP, and the p2panda publish round trip as p2panda-js +
    shirokuma do it (nextArgs, encode, sign, publish).

    Functions that can fail fill a panda_error_t with a one-line message that
    says what was being done and, for node errors, the node's own message
    verbatim; the command prints it with panda_cmd_fail.                   */
#ifndef PANDA_CLIENT_H_INCLUDED
#define PANDA_CLIENT_H_INCLUDED

#include "panda_http_client.h"
#include "panda/panda_entry.h"
#include "panda/panda_operation.h"
#include "panda/panda_schema.h"

#include <jansson.h>

#define PANDA_CLIENT_DEFAULT_NODE "http://localhost:2020"
#define PANDA_CLIENT_DEFAULT_TIMEOUT_S 30
#define PANDA_CLIENT_DEFAULT_MAX_ANSWER (64u << 20) //  bytes of one GraphQL answer
#define PANDA_CLIENT_KEY_FILE_MAX 4096 //  a key file is 64 hex digits and a newline
#define PANDA_OPT_LIST_MAX 1024 //  values of one repeatable option, positional arguments

//  Options of a command, beyond the common ones.
typedef enum { PANDA_OPT_FLAG, PANDA_OPT_VALUE, PANDA_OPT_LIST } panda_opt_kind_t;

typedef struct {
    const char *items[PANDA_OPT_LIST_MAX];
    size_t count;
} panda_opt_list_t;

typedef struct {
    const char *name; //  "--filter"
    panda_opt_kind_t kind;
    void *slot; //  bool * (FLAG), const char ** (VALUE), panda_opt_list_t * (LIST)
} panda_opt_t;

typedef struct {
    panda_http_url_t url; //  --node, else $PANDA_NODE, else http://localhost:2020
    const char *key_file; //  --key, else $PANDA_KEY_FILE; NULL when neither
    bool json; //  --json: one JSON document on stdout for scripts
    int timeout_ms; //  --timeout SECONDS: longest wait for the node to make progress
    size_t max_answer; //  --max-answer BYTES: largest GraphQL answer read
} panda_client_t;

//  Parse argv[first..argc) of a command: the common options, the extra ones
//  (NULL-name terminated, may be NULL) and positional arguments (into
//  *positional, may be NULL when the command takes none). "--" ends the
//  options. Returns PANDA_OK, or PANDA_ERR_INVALID with err set.
PANDA_NODISCARD panda_err_t panda_client_init (panda_client_t *self, int argc, char **argv, int first,
                                               const panda_opt_t *extra, panda_opt_list_t *positional,
                                               panda_error_t *err);

//  The common options, for `panda help`.
extern const char panda_client_options_help[];

//  Read the private key from self->key_file (or err: no --key, missing,
//  readable by others, not 64 hex digits). Caller owns the key pair.
panda_keypair_t *panda_client_load_key (const panda_client_t *self, panda_error_t *err);

//  Read a private key file: the file must be a regular file that only its
//  owner can read (mode 0600 or 0400) holding 64 hex digits (whitespace
//  around them is ignored). Caller owns the key pair.
panda_keypair_t *panda_client_key_from_file (const char *path, panda_error_t *err);

//  POST query (variables borrowed, may be NULL) to the node's /graphql.
//  Returns the answer's "data" (caller owns) or NULL with err set: node
//  unreachable, an HTTP error, a non-JSON answer, or the GraphQL errors
//  (every message, verbatim). context ("publish", ...) starts the message.
json_t *panda_client_graphql (const panda_client_t *self, const char *context, const char *query,
                              json_t *variables, panda_error_t *err);

//  nextArgs(publicKey, viewId) (view_id may be NULL) into *args.
PANDA_NODISCARD panda_err_t panda_client_next_args (const panda_client_t *self, const char *public_key,
                                                    const char *view_id, panda_entry_args_t *args,
                                                    panda_error_t *err);

//  What publishing an operation did.
typedef struct {
    char operation_id[PANDA_HASH_HEX_SIZE + 1]; //  the entry hash; a CREATE's document id
    char public_key[PANDA_PUBLIC_KEY_HEX_SIZE + 1];
    uint64_t log_id, seq_num;
} panda_client_published_t;

//  The p2panda-js round trip: ask nextArgs (with the operation's previous
//  as viewId), sign the operation with keypair, publish entry + operation.
PANDA_NODISCARD panda_err_t panda_client_publish (const panda_client_t *self, const panda_keypair_t *keypair,
                                                  panda_operation_t *operation, panda_client_published_t *out,
                                                  panda_error_t *err);

//  publish(entry, operation) of ready hex strings; the answer's NextArguments
//  (caller owns) or NULL with err set.
json_t *panda_client_publish_hex (const panda_client_t *self, const char *entry_hex,
                                  const char *operation_hex, panda_error_t *err);

//  The schema schema_id as the node knows it: the built-in one for system
//  schemas, else read from its schema_definition_v1 document on the node.
//  Caller owns the result (panda_schema_destroy); NULL with err set.
panda_schema_t *panda_client_schema (const panda_client_t *self, const char *schema_id, panda_error_t *err);

//  The current view id of document_id of schema_id on the node (caller
//  owns, free), or NULL with err set (not found or deleted, node errors).
char *panda_client_document_view_id (const panda_client_t *self, const char *schema_id,
                                     const char *document_id, panda_error_t *err);

//  What GraphQL and p2panda-js write: a u64 as a decimal string, a hash as
//  hex or null (hash NULL). New references.
json_t *panda_client_u64_json (uint64_t value);
json_t *panda_client_hash_json (const panda_hash_t *hash);

//  Print json on stdout: compact for --json, indented otherwise.
void panda_client_print_json (const panda_client_t *self, const json_t *json);

#endif
