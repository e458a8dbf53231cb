/*  panda_cmd_publish.c - `panda next-args` and `panda publish`.

    next-args   what the node says the next entry of a key (and document)
                must be: log id, seq num, backlink, skiplink.
    publish     an entry signed elsewhere with its operation, as they are;
                or an operation (typed JSON or CBOR hex) that panda signs
                with --key after asking nextArgs, as p2panda-js does.       */
#include "panda_cmd.h"
#include "panda_client.h"
#include "panda_fields.h"
#include "panda/panda_hex.h"
#include "panda/panda_operation_json.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

static int
s_next_args (int argc, char **argv)
{
    const char *public_key = NULL, *view_id = NULL;
    panda_opt_t opts[] = {{"--public-key", PANDA_OPT_VALUE, &public_key},
                          {"--view-id", PANDA_OPT_VALUE, &view_id},
                          {NULL, 0, NULL}};
    panda_client_t client;
    panda_error_t err;
    if (panda_client_init (&client, argc, argv, 1, opts, NULL, &err))
        return panda_cmd_fail ("next-args: %s (see panda help)", err.message);
    char key_hex[PANDA_PUBLIC_KEY_HEX_SIZE + 1];
    if (!public_key) {
        panda_keypair_t *keypair = panda_client_load_key (&client, &err);
        if (!keypair)
            return panda_cmd_fail ("next-args: %s (or give --public-key HEX)", err.message);
        panda_public_key_t key = panda_keypair_public_key (keypair);
        panda_keypair_destroy (&keypair);
        public_key = panda_public_key_to_hex (&key, key_hex);
    }
    panda_entry_args_t args;
    if (panda_client_next_args (&client, public_key, view_id, &args, &err))
        return panda_cmd_fail ("%s", err.message);
    json_t *json = json_pack ("{s:o,s:o,s:o,s:o}", "logId", panda_client_u64_json (args.log_id), "seqNum",
                              panda_client_u64_json (args.seq_num), "backlink",
                              panda_client_hash_json (args.has_backlink ? &args.backlink : NULL), "skiplink",
                              panda_client_hash_json (args.has_skiplink ? &args.skiplink : NULL));
    if (!json)
        return panda_cmd_fail ("out of memory");
    if (client.json)
        panda_client_print_json (&client, json);
    else {
        printf ("log id    %" PRIu64 "\nseq num   %" PRIu64 "\n", args.log_id, args.seq_num);
        const char *backlink = json_string_value (json_object_get (json, "backlink"));
        const char *skiplink = json_string_value (json_object_get (json, "skiplink"));
        printf ("backlink  %s\nskiplink  %s\n", backlink ? backlink : "-", skiplink ? skiplink : "-");
    }
    json_decref (json);
    return 0;
}

void
panda_cmd_print_published (const panda_client_t *client, const char *what, const char *schema_id,
                           const char *document_id, const panda_client_published_t *published)
{
    json_t *json = json_pack ("{s:s,s:s,s:o,s:o}", "operationId", published->operation_id, "publicKey",
                              published->public_key, "logId", panda_client_u64_json (published->log_id),
                              "seqNum", panda_client_u64_json (published->seq_num));
    if (json && document_id)
        json_object_set_new (json, "documentId", json_string (document_id));
    if (json && schema_id)
        json_object_set_new (json, "schemaId", json_string (schema_id));
    //  After it, the author's view of the document is this one operation (shirokuma's local view id).
    bool deleted = strncmp (what, "deleted", 7) == 0; //  a deleted document has no view
    if (json && document_id && !deleted)
        json_object_set_new (json, "viewId", json_string (published->operation_id));
    if (client->json && json)
        panda_client_print_json (client, json);
    else {
        printf ("%s\n", what);
        if (document_id)
            printf ("  document id   %s\n", document_id);
        if (document_id && !deleted)
            printf ("  view id       %s\n", published->operation_id);
        else
            printf ("  operation id  %s\n", published->operation_id);
        if (schema_id)
            printf ("  schema        %s\n", schema_id);
        printf ("  entry         log %" PRIu64 ", seq %" PRIu64 " of %s\n", published->log_id,
                published->seq_num, published->public_key);
    }
    json_decref (json);
}

//  Publish a ready entry + operation (hex), checked here before sending.
static int
s_publish_signed (const panda_client_t *client, const char *entry_hex, const char *operation_hex)
{
    uint8_t *entry_bytes = NULL, *op_bytes = NULL;
    size_t entry_len, op_len;
    panda_error_t err;
    panda_entry_t *entry = NULL;
    int rc = 0;
    if (panda_hex_decode (entry_hex, strlen (entry_hex), &entry_bytes, &entry_len, &err))
        rc = panda_cmd_fail ("publish: entry: %s", err.message);
    else if (panda_hex_decode (operation_hex, strlen (operation_hex), &op_bytes, &op_len, &err))
        rc = panda_cmd_fail ("publish: operation: %s", err.message);
    else if (panda_entry_decode_verified (&entry, entry_bytes, entry_len, &err) ||
             panda_entry_check_payload (entry, op_bytes, op_len, &err))
        rc = panda_cmd_fail ("publish: %s", err.message);
    if (rc == 0) {
        panda_client_published_t published = {.log_id = panda_entry_log_id (entry),
                                              .seq_num = panda_entry_seq_num (entry)};
        panda_hash_to_hex (panda_entry_hash (entry), published.operation_id);
        panda_public_key_t key = panda_entry_public_key (entry);
        panda_public_key_to_hex (&key, published.public_key);
        json_t *next = panda_client_publish_hex (client, entry_hex, operation_hex, &err);
        if (next)
            panda_cmd_print_published (client, "published", NULL, NULL, &published);
        else
            rc = panda_cmd_fail ("%s", err.message);
        json_decref (next);
    }
    panda_entry_destroy (&entry);
    free (entry_bytes);
    free (op_bytes);
    return rc;
}

//  An operation from typed JSON or CBOR hex text. Caller owns.
static panda_operation_t *
s_operation_from_text (const char *text, size_t len, panda_error_t *err)
{
    size_t skip = strspn (text, " \t\r\n");
    if (text[skip] == '{')
        return panda_operation_from_json_text (text, len, err);
    while (len > skip && strchr (" \t\r\n", text[len - 1]))
        len--;
    uint8_t *bytes;
    size_t n;
    if (panda_hex_decode (text + skip, len - skip, &bytes, &n, err)) {
        panda_error_prefix (err, "not operation JSON, nor hex: ");
        return NULL;
    }
    panda_operation_t *op = panda_operation_decode (bytes, n, err);
    free (bytes);
    return op;
}

static int
s_publish (int argc, char **argv)
{
    panda_opt_list_t positional = {.count = 0};
    panda_client_t client;
    panda_error_t err;
    if (panda_client_init (&client, argc, argv, 1, NULL, &positional, &err))
        return panda_cmd_fail ("publish: %s (see panda help)", err.message);
    if (positional.count == 2)
        return s_publish_signed (&client, positional.items[0], positional.items[1]);
    if (positional.count != 1)
        return panda_cmd_fail ("usage: panda publish ENTRY_HEX OPERATION_HEX | panda publish --key FILE "
                               "OPERATION (see panda help)");
    size_t len;
    char *text = panda_fields_read_arg (positional.items[0], PANDA_FIELDS_INPUT_MAX, &len, &err);
    if (!text)
        return panda_cmd_fail ("publish: %s", err.message);
    panda_operation_t *op = s_operation_from_text (text, len, &err);
    free (text);
    if (!op)
        return panda_cmd_fail ("publish: operation: %s", err.message);
    panda_keypair_t *keypair = panda_client_load_key (&client, &err);
    int rc = 0;
    panda_client_published_t published;
    if (!keypair)
        rc = panda_cmd_fail ("publish: %s", err.message);
    else if (panda_client_publish (&client, keypair, op, &published, &err))
        rc = panda_cmd_fail ("%s", err.message);
    else {
        bool create = panda_operation_action (op) == PANDA_ACTION_CREATE;
        panda_cmd_print_published (&client, "published", panda_operation_schema_id (op),
                                   create ? published.operation_id : NULL, &published);
    }
    panda_keypair_destroy (&keypair);
    panda_operation_destroy (&op);
    return rc;
}

int
panda_cmd_next_args (int argc, char **argv)
{
    return s_next_args (argc, argv);
}

int
panda_cmd_publish (int argc, char **argv)
{
    return s_publish (argc, argv);
}
