/*  panda_client.c - common options, key files, GraphQL and publishing for
    the panda CLI's node commands. See panda_client.h.                     */
#include "panda_client.h"
#include "panda/panda_hex.h"
#include "panda/panda_view_id.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

const char panda_client_options_help[] =
    "  --node URL          the node (default $PANDA_NODE, else " PANDA_CLIENT_DEFAULT_NODE ")\n"
    "  --key FILE          private key file for signing (default $PANDA_KEY_FILE); mode 0600\n"
    "  --json              print one JSON document (for scripts) instead of labelled text\n"
    "  --timeout SECONDS   longest wait for the node to make progress (default 30)\n"
    "  --max-answer BYTES  largest GraphQL answer accepted (default 67108864)\n";

static bool
s_parse_size (const char *text, unsigned long long max, unsigned long long *value)
{
    size_t digits = strspn (text, "0123456789");
    if (digits == 0 || digits > 19 || text[digits])
        return false;
    *value = strtoull (text, NULL, 10);
    return *value >= 1 && *value <= max;
}

static panda_err_t
s_list_add (panda_opt_list_t *list, const char *name, const char *value, panda_error_t *err)
{
    if (list->count == PANDA_OPT_LIST_MAX)
        return panda_error_set (err, PANDA_ERR_INVALID, "too many %s (at most %d)", name, PANDA_OPT_LIST_MAX);
    list->items[list->count++] = value;
    return PANDA_OK;
}

panda_err_t
panda_client_init (panda_client_t *self, int argc, char **argv, int first, const panda_opt_t *extra,
                   panda_opt_list_t *positional, panda_error_t *err)
{
    memset (self, 0, sizeof *self);
    self->key_file = getenv ("PANDA_KEY_FILE");
    if (self->key_file && !*self->key_file)
        self->key_file = NULL;
    self->timeout_ms = PANDA_CLIENT_DEFAULT_TIMEOUT_S * 1000;
    self->max_answer = PANDA_CLIENT_DEFAULT_MAX_ANSWER;
    const char *node = getenv ("PANDA_NODE");
    if (!node || !*node)
        node = PANDA_CLIENT_DEFAULT_NODE;
    bool options_done = false;
    for (int i = first; i < argc; i++) {
        const char *arg = argv[i];
        if (options_done || arg[0] != '-' || arg[1] != '-' || strcmp (arg, "--") == 0) {
            if (!options_done && strcmp (arg, "--") == 0) {
                options_done = true;
                continue;
            }
            if (!positional)
                return panda_error_set (err, PANDA_ERR_INVALID, "unexpected argument '%s'", arg);
            if (s_list_add (positional, "arguments", arg, err))
                return PANDA_ERR_INVALID;
            continue;
        }
        const panda_opt_t *opt = NULL;
        for (const panda_opt_t *o = extra; o && o->name; o++)
            if (strcmp (o->name, arg) == 0)
                opt = o;
        if (opt && opt->kind == PANDA_OPT_FLAG) {
            *(bool *) opt->slot = true;
            continue;
        }
        if (strcmp (arg, "--json") == 0) {
            self->json = true;
            continue;
        }
        bool common = strcmp (arg, "--node") == 0 || strcmp (arg, "--key") == 0 ||
                      strcmp (arg, "--timeout") == 0 || strcmp (arg, "--max-answer") == 0;
        if (!opt && !common)
            return panda_error_set (err, PANDA_ERR_INVALID, "unknown option '%s'", arg);
        if (i + 1 >= argc)
            return panda_error_set (err, PANDA_ERR_INVALID, "option %s needs a value", arg);
        const char *value = argv[++i];
        unsigned long long number;
        if (opt && opt->kind == PANDA_OPT_LIST) {
            if (s_list_add (opt->slot, arg, value, err))
                return PANDA_ERR_INVALID;
        } else if (opt) {
            if (*(const char **) opt->slot)
                return panda_error_set (err, PANDA_ERR_INVALID, "option %s given twice", arg);
            *(const char **) opt->slot = value;
        } else if (strcmp (arg, "--node") == 0)
            node = value;
        else if (strcmp (arg, "--key") == 0)
            self->key_file = value;
        else if (strcmp (arg, "--timeout") == 0) {
            if (!s_parse_size (value, 86400, &number))
                return panda_error_set (err, PANDA_ERR_INVALID,
                                        "--timeout: expected 1..86400 seconds, not '%s'", value);
            self->timeout_ms = (int) number * 1000;
        } else {
            if (!s_parse_size (value, SIZE_MAX / 2, &number))
                return panda_error_set (err, PANDA_ERR_INVALID,
                                        "--max-answer: expected a byte count, not '%s'", value);
            self->max_answer = (size_t) number;
        }
    }
    return panda_http_url_parse (&self->url, node, err);
}

//  --- keys ------------------------------------------------------------------

panda_keypair_t *
panda_client_key_from_file (const char *path, panda_error_t *err)
{
    int fd = open (path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        panda_error_set (err, PANDA_ERR_IO, "key file %s: %s", path, strerror (errno));
        return NULL;
    }
    struct stat st;
    char text[PANDA_CLIENT_KEY_FILE_MAX + 1];
    ssize_t len = -1;
    if (fstat (fd, &st) != 0)
        panda_error_set (err, PANDA_ERR_IO, "key file %s: %s", path, strerror (errno));
    else if (!S_ISREG (st.st_mode))
        panda_error_set (err, PANDA_ERR_INVALID, "key file %s is not a regular file", path);
    else if (st.st_mode & 077)
        panda_error_set (err, PANDA_ERR_INVALID,
                         "key file %s can be read by others (mode %04o): run chmod 600 %s", path,
                         (unsigned) (st.st_mode & 07777), path);
    else if ((len = read (fd, text, sizeof text)) < 0)
        panda_error_set (err, PANDA_ERR_IO, "key file %s: %s", path, strerror (errno));
    else if (len > PANDA_CLIENT_KEY_FILE_MAX) {
        panda_error_set (err, PANDA_ERR_INVALID, "key file %s is too large to be a private key", path);
        len = -1;
    }
    close (fd);
    if (len < 0) {
        sodium_memzero (text, sizeof text);
        return NULL;
    }
    size_t start = 0, end = (size_t) len;
    while (start < end && strchr (" \t\r\n", text[start]))
        start++;
    while (end > start && strchr (" \t\r\n", text[end - 1]))
        end--;
    panda_keypair_t *keypair = panda_keypair_new_from_hex (text + start, end - start, err);
    sodium_memzero (text, sizeof text);
    if (!keypair)
        panda_error_prefix (err, "key file %s: ", path);
    return keypair;
}

panda_keypair_t *
panda_client_load_key (const panda_client_t *self, panda_error_t *err)
{
    if (!self->key_file) {
        panda_error_set (err, PANDA_ERR_INVALID,
                         "signing needs a key: give --key FILE or set PANDA_KEY_FILE (make one with "
                         "`panda key new FILE`)");
        return NULL;
    }
    return panda_client_key_from_file (self->key_file, err);
}

//  --- GraphQL -------------------------------------------------------------

typedef struct {
    char *data;
    size_t len, cap, max;
} s_buffer_t;

static int
s_buffer_sink (void *ctx, const void *data, size_t len, panda_error_t *err)
{
    s_buffer_t *b = ctx;
    if (len > b->max - b->len) {
        panda_error_set (err, PANDA_ERR_LIMIT, "answer larger than %zu bytes (see --max-answer)", b->max);
        return -1;
    }
    if (b->len + len + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + len + 1)
            cap *= 2;
        char *grown = realloc (b->data, cap);
        if (!grown) {
            panda_error_set (err, PANDA_ERR_NOMEM, "out of memory");
            return -1;
        }
        b->data = grown;
        b->cap = cap;
    }
    memcpy (b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = '\0';
    return 0;
}

//  First line of a text answer, for an HTTP error message.
static void
s_first_line (const s_buffer_t *b, char *out, size_t size)
{
    size_t n = b->data ? strcspn (b->data, "\r\n") : 0;
    snprintf (out, size, "%.*s", (int) (n < 200 ? n : 200), b->data ? b->data : "");
}

static json_t *
s_errors_to_message (const json_t *errors, const char *context, const char *node, panda_error_t *err)
{
    char message[PANDA_ERROR_MESSAGE_MAX] = "";
    size_t used = 0;
    size_t i;
    const json_t *e;
    json_array_foreach (errors, i, e)
    {
        const char *text = json_string_value (json_object_get (e, "message"));
        int n = snprintf (message + used, sizeof message - used, "%s%s", i ? "; " : "",
                          text ? text : "(error without a message)");
        if (n < 0 || (size_t) n >= sizeof message - used)
            break;
        used += (size_t) n;
    }
    panda_error_set (err, PANDA_ERR_INVALID, "%s: the node at %s answered: %s", context, node, message);
    return NULL;
}

json_t *
panda_client_graphql (const panda_client_t *self, const char *context, const char *query, json_t *variables,
                      panda_error_t *err)
{
    json_t *request = json_pack ("{s:s}", "query", query);
    if (request && variables)
        json_object_set (request, "variables", variables);
    char *body = request ? json_dumps (request, JSON_COMPACT) : NULL;
    json_decref (request);
    if (!body) {
        panda_error_set (err, PANDA_ERR_NOMEM, "out of memory");
        return NULL;
    }
    s_buffer_t answer = {.max = self->max_answer};
    panda_http_request_t http = {.method = "POST",
                                 .path = "/graphql",
                                 .content_type = "application/json",
                                 .body = body,
                                 .body_len = strlen (body),
                                 .timeout_ms = self->timeout_ms,
                                 .sink = s_buffer_sink,
                                 .ctx = &answer};
    panda_http_answer_t head;
    panda_err_t rc = panda_http_client_request (&self->url, &http, &head, err);
    free (body);
    json_t *data = NULL;
    if (rc)
        panda_error_prefix (err, "%s: ", context);
    else if (head.status != 200) {
        char line[256];
        s_first_line (&answer, line, sizeof line);
        panda_error_set (err, PANDA_ERR_IO, "%s: the node at %s answered HTTP %d%s%s", context,
                         self->url.text, head.status, *line ? ": " : "", line);
    } else {
        json_error_t json_err;
        json_t *root = answer.data ? json_loadb (answer.data, answer.len, 0, &json_err) : NULL;
        json_t *errors = json_object_get (root, "errors");
        if (!json_is_object (root))
            panda_error_set (err, PANDA_ERR_DECODE, "%s: the node at %s did not answer GraphQL JSON", context,
                             self->url.text);
        else if (json_is_array (errors) && json_array_size (errors) > 0)
            s_errors_to_message (errors, context, self->url.text, err);
        else if (!json_is_object (json_object_get (root, "data")))
            panda_error_set (err, PANDA_ERR_DECODE, "%s: the node at %s answered without data", context,
                             self->url.text);
        else
            data = json_incref (json_object_get (root, "data"));
        json_decref (root);
    }
    free (answer.data);
    return data;
}

//  --- publishing ----------------------------------------------------------

static bool
s_u64 (const json_t *json, uint64_t *value)
{
    const char *text = json_string_value (json);
    if (!text || !*text || strlen (text) > 20 || strspn (text, "0123456789") != strlen (text))
        return false;
    errno = 0;
    unsigned long long v = strtoull (text, NULL, 10);
    *value = v;
    return errno == 0;
}

static bool
s_link (const json_t *json, bool *has, panda_hash_t *hash)
{
    *has = !json_is_null (json) && json;
    if (!*has)
        return true;
    const char *hex = json_string_value (json);
    return hex && panda_hash_from_hex (hash, hex, strlen (hex), NULL) == PANDA_OK;
}

static panda_err_t
s_args_from_json (const json_t *json, panda_entry_args_t *args, const char *context, panda_error_t *err)
{
    memset (args, 0, sizeof *args);
    if (!json_is_object (json) || !s_u64 (json_object_get (json, "logId"), &args->log_id) ||
        !s_u64 (json_object_get (json, "seqNum"), &args->seq_num) ||
        !s_link (json_object_get (json, "backlink"), &args->has_backlink, &args->backlink) ||
        !s_link (json_object_get (json, "skiplink"), &args->has_skiplink, &args->skiplink))
        return panda_error_set (err, PANDA_ERR_DECODE, "%s: the node answered malformed next arguments",
                                context);
    return PANDA_OK;
}

static const char s_next_args_query[] =
    "query NextArgs($publicKey: PublicKey!, $viewId: DocumentViewId) {"
    " nextArgs(publicKey: $publicKey, viewId: $viewId) { logId seqNum backlink skiplink } }";

panda_err_t
panda_client_next_args (const panda_client_t *self, const char *public_key, const char *view_id,
                        panda_entry_args_t *args, panda_error_t *err)
{
    json_t *variables = json_pack ("{s:s}", "publicKey", public_key);
    if (variables && view_id)
        json_object_set_new (variables, "viewId", json_string (view_id));
    json_t *data =
        variables ? panda_client_graphql (self, "nextArgs", s_next_args_query, variables, err) : NULL;
    json_decref (variables);
    if (!data)
        return err ? err->code : PANDA_ERR_IO;
    panda_err_t rc = s_args_from_json (json_object_get (data, "nextArgs"), args, "nextArgs", err);
    json_decref (data);
    return rc;
}

json_t *
panda_client_publish_hex (const panda_client_t *self, const char *entry_hex, const char *operation_hex,
                          panda_error_t *err)
{
    static const char query[] = "mutation Publish($entry: EncodedEntry!, $operation: EncodedOperation!) {"
                                " publish(entry: $entry, operation: $operation)"
                                " { logId seqNum backlink skiplink } }";
    json_t *variables = json_pack ("{s:s,s:s}", "entry", entry_hex, "operation", operation_hex);
    json_t *data = variables ? panda_client_graphql (self, "publish", query, variables, err) : NULL;
    json_decref (variables);
    json_t *next = json_incref (json_object_get (data, "publish"));
    json_decref (data);
    if (data && !next)
        panda_error_set (err, PANDA_ERR_DECODE, "publish: the node answered without next arguments");
    return next;
}

static char *
s_hex_new (const uint8_t *bytes, size_t len)
{
    char *hex = malloc (2 * len + 1);
    return hex ? sodium_bin2hex (hex, 2 * len + 1, bytes, len) : NULL;
}

panda_err_t
panda_client_publish (const panda_client_t *self, const panda_keypair_t *keypair,
                      panda_operation_t *operation, panda_client_published_t *out, panda_error_t *err)
{
    memset (out, 0, sizeof *out);
    panda_public_key_t key = panda_keypair_public_key (keypair);
    panda_public_key_to_hex (&key, out->public_key);
    size_t n_previous;
    const panda_hash_t *previous = panda_operation_previous (operation, &n_previous);
    char *view_id = n_previous ? panda_view_id_to_string_new (previous, n_previous) : NULL;
    if (n_previous && !view_id)
        return panda_error_set (err, PANDA_ERR_NOMEM, "out of memory");
    panda_entry_args_t args;
    panda_err_t rc = panda_client_next_args (self, out->public_key, view_id, &args, err);
    free (view_id);
    if (rc)
        return rc;
    size_t op_len;
    const uint8_t *op_bytes = panda_operation_bytes (operation, &op_len);
    if (!op_bytes)
        return panda_error_set (err, PANDA_ERR_NOMEM, "out of memory");
    panda_entry_t *entry =
        panda_entry_new_signed (keypair, args.log_id, args.seq_num, args.has_backlink ? &args.backlink : NULL,
                                args.has_skiplink ? &args.skiplink : NULL, op_bytes, op_len, err);
    if (!entry)
        return panda_error_prefix (err, "signing the entry: ");
    size_t entry_len;
    const uint8_t *entry_bytes = panda_entry_bytes (entry, &entry_len);
    char *entry_hex = s_hex_new (entry_bytes, entry_len);
    char *op_hex = s_hex_new (op_bytes, op_len);
    panda_hash_to_hex (panda_entry_hash (entry), out->operation_id);
    out->log_id = args.log_id;
    out->seq_num = args.seq_num;
    panda_entry_destroy (&entry);
    json_t *next = entry_hex && op_hex ? panda_client_publish_hex (self, entry_hex, op_hex, err) : NULL;
    if (!entry_hex || !op_hex)
        panda_error_set (err, PANDA_ERR_NOMEM, "out of memory");
    free (entry_hex);
    free (op_hex);
    if (!next)
        return err ? err->code : PANDA_ERR_IO;
    json_decref (next);
    return PANDA_OK;
}

//  --- schemas and documents -------------------------------------------------

//  One page of the field definitions of a schema definition view.
static const char s_schema_query[] =
    "query Schema($viewId: DocumentViewId!) { schema_definition_v1(viewId: $viewId) {"
    " fields { name description fields(first: 1000) { hasNextPage endCursor"
    " documents { fields { name type } } } } } }";
static const char s_schema_query_after[] =
    "query Schema($viewId: DocumentViewId!, $after: Cursor!) { schema_definition_v1(viewId: $viewId) {"
    " fields { name description fields(first: 1000, after: $after) { hasNextPage endCursor"
    " documents { fields { name type } } } } } }";

//  Add one page of field definitions to *schema (created on the first
//  page); *after gets the next cursor or NULL (caller frees).
static panda_err_t
s_schema_page (const char *schema_id, const json_t *definition, panda_schema_t **schema, char **after,
               panda_error_t *err)
{
    const json_t *fields = json_object_get (definition, "fields");
    const char *name = json_string_value (json_object_get (fields, "name"));
    const char *description = json_string_value (json_object_get (fields, "description"));
    const json_t *page = json_object_get (fields, "fields");
    const json_t *documents = json_object_get (page, "documents");
    if (!name || !description || !json_is_array (documents))
        return panda_error_set (err, PANDA_ERR_DECODE,
                                "schema %s: the node answered an incomplete definition", schema_id);
    if (!*schema && !(*schema = panda_schema_new (schema_id, name, description, err)))
        return panda_error_prefix (err, "schema %s: ", schema_id);
    size_t i;
    const json_t *doc;
    json_array_foreach (documents, i, doc)
    {
        const json_t *f = json_object_get (doc, "fields");
        const char *field = json_string_value (json_object_get (f, "name"));
        const char *type = json_string_value (json_object_get (f, "type"));
        if (!field || !type)
            return panda_error_set (err, PANDA_ERR_DECODE, "schema %s: a field definition is incomplete",
                                    schema_id);
        if (panda_schema_add_field (*schema, field, type, err))
            return panda_error_prefix (err, "schema %s: ", schema_id);
    }
    *after = NULL;
    const char *cursor = json_string_value (json_object_get (page, "endCursor"));
    if (json_is_true (json_object_get (page, "hasNextPage")) && cursor && !(*after = strdup (cursor)))
        return panda_error_set (err, PANDA_ERR_NOMEM, "out of memory");
    return PANDA_OK;
}

panda_schema_t *
panda_client_schema (const panda_client_t *self, const char *schema_id, panda_error_t *err)
{
    panda_schema_id_t id;
    if (panda_schema_id_parse (&id, schema_id, strlen (schema_id), err)) {
        panda_error_prefix (err, "schema id: ");
        return NULL;
    }
    if (id.kind == PANDA_SCHEMA_ID_SYSTEM) {
        panda_schema_id_clear (&id);
        panda_schema_t *schema = panda_schema_dup (panda_schema_system (schema_id));
        if (!schema)
            panda_error_set (err, PANDA_ERR_NOMEM, "out of memory");
        return schema;
    }
    char *view_id = panda_view_id_to_string_new (id.view_ids, id.n_view_ids);
    panda_schema_id_clear (&id);
    panda_schema_t *schema = NULL;
    char *after = NULL;
    char context[600];
    snprintf (context, sizeof context, "reading schema %s", schema_id);
    bool more = view_id != NULL;
    while (more) {
        json_t *variables = json_pack ("{s:s}", "viewId", view_id);
        if (variables && after)
            json_object_set_new (variables, "after", json_string (after));
        json_t *data =
            variables ? panda_client_graphql (self, context, after ? s_schema_query_after : s_schema_query,
                                              variables, err)
                      : NULL;
        json_decref (variables);
        free (after);
        after = NULL;
        const json_t *definition = json_object_get (data, "schema_definition_v1");
        panda_err_t rc = PANDA_ERR_IO;
        if (data && json_is_null (definition))
            panda_error_set (err, PANDA_ERR_NOT_FOUND,
                             "schema %s is not known to the node at %s (not published there, or not "
                             "materialised yet)",
                             schema_id, self->url.text);
        else if (data)
            rc = s_schema_page (schema_id, definition, &schema, &after, err);
        json_decref (data);
        if (rc)
            panda_schema_destroy (&schema);
        more = rc == PANDA_OK && after != NULL;
    }
    if (!view_id)
        panda_error_set (err, PANDA_ERR_NOMEM, "out of memory");
    free (view_id);
    return schema;
}

char *
panda_client_document_view_id (const panda_client_t *self, const char *schema_id, const char *document_id,
                               panda_error_t *err)
{
    char query[512], context[700];
    if (panda_schema_id_validate (schema_id, strlen (schema_id), err)) {
        panda_error_prefix (err, "schema id: ");
        return NULL;
    }
    snprintf (query, sizeof query, "query Document($id: DocumentId!) { %s(id: $id) { meta { viewId } } }",
              schema_id);
    snprintf (context, sizeof context, "looking up document %s", document_id);
    json_t *variables = json_pack ("{s:s}", "id", document_id);
    json_t *data = variables ? panda_client_graphql (self, context, query, variables, err) : NULL;
    json_decref (variables);
    const char *view_id = json_string_value (
        json_object_get (json_object_get (json_object_get (data, schema_id), "meta"), "viewId"));
    char *copy = view_id ? strdup (view_id) : NULL;
    if (data && !view_id)
        panda_error_set (err, PANDA_ERR_NOT_FOUND,
                         "document %s of schema %s is not on the node at %s (unknown, deleted or not "
                         "materialised yet)",
                         document_id, schema_id, self->url.text);
    json_decref (data);
    return copy;
}

json_t *
panda_client_u64_json (uint64_t value)
{
    char text[24];
    snprintf (text, sizeof text, "%" PRIu64, value);
    return json_string (text);
}

json_t *
panda_client_hash_json (const panda_hash_t *hash)
{
    char hex[PANDA_HASH_HEX_SIZE + 1];
    return hash ? json_string (panda_hash_to_hex (hash, hex)) : json_null ();
}

void
panda_client_print_json (const panda_client_t *self, const json_t *json)
{
    char *text = json_dumps (json, self->json ? JSON_COMPACT : JSON_INDENT (2));
    if (text)
        printf ("%s\n", text);
    free (text);
}
