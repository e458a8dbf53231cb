/*  panda_cmd_document.c - `panda document create|update|delete`.

    What shirokuma's Session.create / update / delete do, from the command
    line: the field values are typed by the schema (read from the node, see
    panda_client_schema) or by --type, the operation is checked against the
    schema here (a wrong or missing field never reaches the node), then
    signed with --key after nextArgs and published. update and delete take
    the document's current view id from the node unless --previous says.  */
#include "panda_cmd.h"
#include "panda_client.h"
#include "panda_fields.h"
#include "panda/panda_view_id.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_USAGE                                                                                              \
    "usage: panda document create SCHEMA_ID [NAME=VALUE...] | update SCHEMA_ID DOCUMENT_ID [NAME=VALUE...] " \
    "| "                                                                                                     \
    "delete SCHEMA_ID DOCUMENT_ID (see panda help)"

typedef struct {
    panda_action_t action;
    panda_client_t client;
    panda_opt_list_t positional, types;
    const char *fields_arg, *previous;
    const char *schema_id, *document_id;
} s_args_t;

static int
s_parse (s_args_t *a, int argc, char **argv)
{
    panda_opt_t opts[] = {{"--fields", PANDA_OPT_VALUE, &a->fields_arg},
                          {"--type", PANDA_OPT_LIST, &a->types},
                          {"--previous", PANDA_OPT_VALUE, &a->previous},
                          {NULL, 0, NULL}};
    panda_error_t err;
    if (panda_client_init (&a->client, argc, argv, 2, opts, &a->positional, &err))
        return panda_cmd_fail ("document %s: %s (see panda help)", argv[1], err.message);
    size_t ids = a->action == PANDA_ACTION_CREATE ? 1 : 2;
    if (a->positional.count < ids)
        return panda_cmd_fail (S_USAGE);
    if (a->action == PANDA_ACTION_DELETE && (a->positional.count > 2 || a->fields_arg || a->types.count))
        return panda_cmd_fail ("document delete takes no fields");
    if (a->action == PANDA_ACTION_CREATE && a->previous)
        return panda_cmd_fail ("document create takes no --previous");
    a->schema_id = a->positional.items[0];
    a->document_id = ids == 2 ? a->positional.items[1] : NULL;
    if (panda_schema_id_validate (a->schema_id, strlen (a->schema_id), &err))
        return panda_cmd_fail ("document %s: schema id: %s", argv[1], err.message);
    panda_hash_t hash;
    if (a->document_id && panda_hash_from_hex (&hash, a->document_id, strlen (a->document_id), &err))
        return panda_cmd_fail ("document %s: document id: %s", argv[1], err.message);
    return 0;
}

//  A CREATE needs every field of the schema: name the missing ones (the
//  protocol's own message only names the first mismatch in order).
static panda_err_t
s_check_complete (const panda_schema_t *schema, const json_t *values, panda_error_t *err)
{
    char missing[PANDA_ERROR_MESSAGE_MAX / 2] = "";
    size_t used = 0, count = 0;
    for (size_t i = 0; i < panda_schema_field_count (schema); i++) {
        if (json_object_get (values, panda_schema_field_name (schema, i)))
            continue;
        int n = snprintf (missing + used, sizeof missing - used, "%s%s (%s)", count ? ", " : "",
                          panda_schema_field_name (schema, i), panda_schema_field_type (schema, i));
        count++;
        if (n > 0 && (size_t) n < sizeof missing - used)
            used += (size_t) n;
    }
    if (count == 0)
        return PANDA_OK;
    return panda_error_set (err, PANDA_ERR_SCHEMA, "a new document needs every field of %s; missing: %s",
                            panda_schema_id (schema), missing);
}

//  The operation to publish, checked against the schema when there is one.
static panda_operation_t *
s_build (const s_args_t *a, const char *previous, panda_error_t *err)
{
    panda_hash_t *ids = NULL;
    size_t count = 0;
    if (previous && panda_view_id_from_string (previous, strlen (previous), &ids, &count, err)) {
        panda_error_prefix (err, "--previous: ");
        return NULL;
    }
    panda_operation_t *op = panda_operation_new (a->action, a->schema_id, ids, count, err);
    free (ids);
    json_t *values = NULL;
    panda_schema_t *schema = NULL;
    if (op && a->action != PANDA_ACTION_DELETE) {
        values = panda_fields_collect (&a->positional, a->action == PANDA_ACTION_CREATE ? 1 : 2,
                                       a->fields_arg, err);
        if (!values)
            panda_operation_destroy (&op);
        else if (json_object_size (values) == 0) {
            panda_error_set (err, PANDA_ERR_INVALID, "no fields given (NAME=VALUE or --fields JSON)");
            panda_operation_destroy (&op);
        }
    }
    //  The schema types the fields and checks the whole operation; with
    //  every type given explicitly (or no fields) the node alone checks.
    if (op && values && !panda_fields_all_typed (values, &a->types)) {
        schema = panda_client_schema (&a->client, a->schema_id, err);
        if (!schema)
            panda_operation_destroy (&op);
    }
    if (op && values && panda_fields_apply (op, values, &a->types, schema, err))
        panda_operation_destroy (&op);
    if (op && schema && a->action == PANDA_ACTION_CREATE && s_check_complete (schema, values, err))
        panda_operation_destroy (&op);
    if (op && schema && panda_schema_validate_operation (schema, op, err))
        panda_operation_destroy (&op);
    json_decref (values);
    panda_schema_destroy (&schema);
    return op;
}

static int
s_run (s_args_t *a, const char *verb)
{
    panda_error_t err;
    panda_keypair_t *keypair = panda_client_load_key (&a->client, &err);
    if (!keypair)
        return panda_cmd_fail ("document %s: %s", verb, err.message);
    char *previous = NULL;
    if (a->document_id && !a->previous &&
        !(previous = panda_client_document_view_id (&a->client, a->schema_id, a->document_id, &err))) {
        panda_keypair_destroy (&keypair);
        return panda_cmd_fail ("document %s: %s (or give --previous VIEW_ID)", verb, err.message);
    }
    panda_operation_t *op = s_build (a, a->previous ? a->previous : previous, &err);
    free (previous);
    int rc = 0;
    panda_client_published_t published;
    if (!op)
        rc = panda_cmd_fail ("document %s: %s", verb, err.message);
    else if (panda_client_publish (&a->client, keypair, op, &published, &err))
        rc = panda_cmd_fail ("document %s: %s", verb, err.message);
    else {
        char what[32];
        snprintf (what, sizeof what, "%sd document", verb);
        panda_cmd_print_published (&a->client, what, a->schema_id,
                                   a->document_id ? a->document_id : published.operation_id, &published);
    }
    panda_operation_destroy (&op);
    panda_keypair_destroy (&keypair);
    return rc;
}

int
panda_cmd_document (int argc, char **argv)
{
    static const struct {
        const char *verb;
        panda_action_t action;
    } verbs[] = {
        {"create", PANDA_ACTION_CREATE}, {"update", PANDA_ACTION_UPDATE}, {"delete", PANDA_ACTION_DELETE}};
    for (size_t i = 0; argc >= 2 && i < sizeof verbs / sizeof verbs[0]; i++) {
        if (strcmp (argv[1], verbs[i].verb) != 0)
            continue;
        s_args_t *a = calloc (1, sizeof *a); //  two option lists: too big for the stack
        if (!a)
            return panda_cmd_fail ("out of memory");
        a->action = verbs[i].action;
        int rc = s_parse (a, argc, argv);
        if (rc == 0)
            rc = s_run (a, verbs[i].verb);
        free (a);
        return rc;
    }
    return panda_cmd_fail (S_USAGE);
}
