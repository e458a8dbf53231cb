/*  panda_schema_lock.c - schema.lock files: parse, check, format. See
    panda_schema_lock.h. Every commit goes through panda_schema_lock_append,
    which checks it against the commits before it with the entry checks a
    node's publish runs (panda_entry_check_*), so a lock file that parses
    is one a node accepts, in order, from an empty store.                 */
#include "panda/panda_hex.h"
#include "panda/panda_lipmaa.h"
#include "panda/panda_schema.h"
#include "panda_schema_lock_int.h"
#include "panda_toml.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

panda_schema_lock_t *
panda_schema_lock_new (void)
{
    panda_schema_lock_t *self = calloc (1, sizeof *self);
    if (self && !(self->index = json_object ()))
        free (self), self = NULL;
    return self;
}

void
panda_schema_lock_destroy (panda_schema_lock_t **self_p)
{
    panda_schema_lock_t *self = self_p ? *self_p : NULL;
    if (!self)
        return;
    for (size_t i = 0; i < self->count; i++) {
        panda_entry_destroy (&self->commits[i].entry);
        panda_operation_destroy (&self->commits[i].operation);
    }
    free (self->commits);
    json_decref (self->index);
    free (self);
    *self_p = NULL;
}

//  --------------------------------------------------------------------------
//  The index

static void
s_key_hex (const panda_public_key_t *key, char out[PANDA_PUBLIC_KEY_HEX_SIZE + 1])
{
    panda_public_key_to_hex (key, out);
}

static json_int_t
s_get (const panda_schema_lock_t *self, const char *key)
{
    json_t *v = json_object_get (self->index, key);
    return v ? json_integer_value (v) : -1;
}

static panda_err_t
s_set (panda_schema_lock_t *self, const char *key, json_int_t value, panda_error_t *err)
{
    if (json_object_set_new (self->index, key, json_integer (value)))
        return panda_error_set (err, PANDA_ERR_NOMEM, "out of memory");
    return PANDA_OK;
}

long
panda_schema_lock_find (const panda_schema_lock_t *self, const panda_hash_t *id)
{
    char key[8 + PANDA_HASH_HEX_SIZE], hex[PANDA_HASH_HEX_SIZE + 1];
    snprintf (key, sizeof key, "op:%s", panda_hash_to_hex (id, hex));
    return (long) s_get (self, key);
}

//  Index of the entry at seq of (key, log), or -1.
static long
s_at (const panda_schema_lock_t *self, const char *key_hex, uint64_t log_id, uint64_t seq)
{
    char key[160];
    snprintf (key, sizeof key, "seq:%s:%" PRIu64 ":%" PRIu64, key_hex, log_id, seq);
    return (long) s_get (self, key);
}

static long
s_head (const panda_schema_lock_t *self, const char *key_hex, uint64_t log_id)
{
    char key[160];
    snprintf (key, sizeof key, "head:%s:%" PRIu64, key_hex, log_id);
    return (long) s_get (self, key);
}

bool
panda_schema_lock_document_log (const panda_schema_lock_t *self, const panda_public_key_t *pk,
                                const panda_hash_t *document_id, uint64_t *log_id)
{
    char key[200], key_hex[PANDA_PUBLIC_KEY_HEX_SIZE + 1], doc[PANDA_HASH_HEX_SIZE + 1];
    s_key_hex (pk, key_hex);
    snprintf (key, sizeof key, "log:%s:%s", key_hex, panda_hash_to_hex (document_id, doc));
    json_int_t v = s_get (self, key);
    if (v < 0)
        return false;
    *log_id = (uint64_t) v;
    return true;
}

uint64_t
panda_schema_lock_free_log (const panda_schema_lock_t *self, const panda_public_key_t *pk)
{
    char key[100], key_hex[PANDA_PUBLIC_KEY_HEX_SIZE + 1];
    s_key_hex (pk, key_hex);
    snprintf (key, sizeof key, "logs:%s", key_hex);
    json_int_t v = s_get (self, key);
    return v < 0 ? 0 : (uint64_t) v;
}

typedef struct {
    const panda_schema_lock_t *lock;
    const char *key_hex;
    uint64_t log_id;
} s_lookup_t;

static panda_err_t
s_lookup (void *ctx, uint64_t seq, panda_hash_t *hash, panda_error_t *err)
{
    s_lookup_t *l = ctx;
    long at = s_at (l->lock, l->key_hex, l->log_id, seq);
    if (at < 0)
        return panda_error_set (err, PANDA_ERR_NOT_FOUND,
                                "entry %" PRIu64 " of log %" PRIu64 " not in the lock file", seq, l->log_id);
    *hash = *panda_entry_hash (l->lock->commits[at].entry);
    return PANDA_OK;
}

panda_err_t
panda_schema_lock_next_args (const panda_schema_lock_t *self, const panda_public_key_t *pk, uint64_t log_id,
                             panda_entry_args_t *args, panda_error_t *err)
{
    char key_hex[PANDA_PUBLIC_KEY_HEX_SIZE + 1];
    s_key_hex (pk, key_hex);
    long head = s_head (self, key_hex, log_id);
    const panda_entry_t *latest = head >= 0 ? self->commits[head].entry : NULL;
    s_lookup_t ctx = {self, key_hex, log_id};
    return panda_entry_next_args (args, pk, log_id, latest ? panda_entry_seq_num (latest) : 0,
                                  latest ? panda_entry_hash (latest) : NULL, s_lookup, &ctx, err);
}

//  --------------------------------------------------------------------------
//  Checking and appending a commit

//  The document an UPDATE or DELETE continues: every previous id a commit
//  of the same document, of the operation's schema, not deleted.
static panda_err_t
s_document_of (panda_schema_lock_t *self, const panda_operation_t *op, panda_hash_t *document_id,
               panda_error_t *err)
{
    size_t n;
    const panda_hash_t *previous = panda_operation_previous (op, &n);
    char hex[PANDA_HASH_HEX_SIZE + 1];
    for (size_t i = 0; i < n; i++) {
        long at = panda_schema_lock_find (self, &previous[i]);
        if (at < 0)
            return panda_error_set (err, PANDA_ERR_INVALID,
                                    "previous operation %s is not an earlier commit of the lock file",
                                    panda_hash_to_hex (&previous[i], hex));
        const panda_schema_commit_t *c = &self->commits[at];
        if (i > 0 && !panda_hash_eq (document_id, &c->document_id))
            return panda_error_set (
                err, PANDA_ERR_INVALID,
                "Operations in passed document view id originate from different documents");
        *document_id = c->document_id;
    }
    long root = panda_schema_lock_find (self, document_id);
    if (root < 0 || strcmp (panda_operation_schema_id (self->commits[root].operation),
                            panda_operation_schema_id (op)) != 0)
        return panda_error_set (err, PANDA_ERR_INVALID,
                                "operation does not match the schema of its document");
    char key[8 + PANDA_HASH_HEX_SIZE];
    snprintf (key, sizeof key, "del:%s", panda_hash_to_hex (document_id, hex));
    if (json_object_get (self->index, key))
        return panda_error_set (err, PANDA_ERR_INVALID, "%s",
                                "You are trying to update or delete a document "
                                "which has been deleted");
    return PANDA_OK;
}

static panda_err_t
s_check (panda_schema_lock_t *self, const panda_entry_t *entry, panda_operation_t *op,
         panda_hash_t *document_id, panda_error_t *err)
{
    size_t len;
    const uint8_t *bytes = panda_operation_bytes (op, &len);
    if (!bytes)
        return panda_error_set (err, PANDA_ERR_NOMEM, "out of memory");
    if (panda_entry_check_payload (entry, bytes, len, err))
        return err->code;
    const char *schema_id = panda_operation_schema_id (op);
    if (strcmp (schema_id, PANDA_SCHEMA_ID_SCHEMA_DEFINITION) != 0 &&
        strcmp (schema_id, PANDA_SCHEMA_ID_SCHEMA_FIELD_DEFINITION) != 0)
        return panda_error_set (err, PANDA_ERR_INVALID,
                                "operation of schema %s: a lock file holds only schema_definition_v1 and "
                                "schema_field_definition_v1 operations",
                                schema_id);
    if (panda_schema_validate_operation (panda_schema_system (schema_id), op, err))
        return err->code;
    if (panda_schema_lock_find (self, panda_entry_hash (entry)) >= 0)
        return panda_error_set (err, PANDA_ERR_INVALID, "the same commit is in the lock file twice");
    panda_public_key_t pk = panda_entry_public_key (entry);
    char key_hex[PANDA_PUBLIC_KEY_HEX_SIZE + 1];
    s_key_hex (&pk, key_hex);
    uint64_t log_id = panda_entry_log_id (entry), seq = panda_entry_seq_num (entry);
    long head = s_head (self, key_hex, log_id);
    if (panda_entry_check_seq_num (entry, head >= 0 ? panda_entry_seq_num (self->commits[head].entry) : 0,
                                   err))
        return err->code;
    long back = seq > 1 ? s_at (self, key_hex, log_id, seq - 1) : -1;
    long skip = panda_lipmaa_skiplink_required (seq) ? s_at (self, key_hex, log_id, panda_lipmaa (seq)) : -1;
    if (panda_entry_check_links (entry, back >= 0 ? panda_entry_hash (self->commits[back].entry) : NULL,
                                 skip >= 0 ? panda_entry_hash (self->commits[skip].entry) : NULL, err))
        return err->code;
    if (panda_operation_action (op) == PANDA_ACTION_CREATE)
        *document_id = *panda_entry_hash (entry);
    else if (s_document_of (self, op, document_id, err))
        return err->code;
    uint64_t existing;
    bool has_log = panda_schema_lock_document_log (self, &pk, document_id, &existing);
    if (panda_entry_check_log_id (entry, document_id, has_log ? &existing : NULL, head >= 0, err))
        return err->code;
    return panda_entry_check_next_seq_num (entry, err);
}

panda_err_t
panda_schema_lock_append (panda_schema_lock_t *self, panda_entry_t **entry_p, panda_operation_t **operation_p,
                          panda_error_t *err)
{
    panda_entry_t *entry = *entry_p;
    panda_operation_t *op = *operation_p;
    *entry_p = NULL, *operation_p = NULL;
    panda_hash_t document_id;
    panda_err_t rc = s_check (self, entry, op, &document_id, err);
    if (!rc && self->count == self->cap) {
        size_t cap = self->cap ? self->cap * 2 : 16;
        panda_schema_commit_t *grown = realloc (self->commits, cap * sizeof *grown);
        if (!grown)
            rc = panda_error_set (err, PANDA_ERR_NOMEM, "out of memory");
        else
            self->commits = grown, self->cap = cap;
    }
    if (rc) {
        panda_entry_destroy (&entry);
        panda_operation_destroy (&op);
        return rc;
    }
    panda_public_key_t pk = panda_entry_public_key (entry);
    char key_hex[PANDA_PUBLIC_KEY_HEX_SIZE + 1], hex[PANDA_HASH_HEX_SIZE + 1], key[240];
    s_key_hex (&pk, key_hex);
    uint64_t log_id = panda_entry_log_id (entry);
    json_int_t index = (json_int_t) self->count;
    snprintf (key, sizeof key, "op:%s", panda_hash_to_hex (panda_entry_hash (entry), hex));
    rc = s_set (self, key, index, err);
    snprintf (key, sizeof key, "seq:%s:%" PRIu64 ":%" PRIu64, key_hex, log_id, panda_entry_seq_num (entry));
    rc = rc ? rc : s_set (self, key, index, err);
    snprintf (key, sizeof key, "head:%s:%" PRIu64, key_hex, log_id);
    rc = rc ? rc : s_set (self, key, index, err);
    snprintf (key, sizeof key, "log:%s:%s", key_hex, panda_hash_to_hex (&document_id, hex));
    rc = rc ? rc : s_set (self, key, (json_int_t) log_id, err);
    snprintf (key, sizeof key, "logs:%s", key_hex);
    if (!rc && log_id >= panda_schema_lock_free_log (self, &pk))
        rc = s_set (self, key, (json_int_t) (log_id + 1), err);
    snprintf (key, sizeof key, "del:%s", panda_hash_to_hex (&document_id, hex));
    if (!rc && panda_operation_action (op) == PANDA_ACTION_DELETE)
        rc = s_set (self, key, 1, err);
    self->commits[self->count++] = (panda_schema_commit_t){entry, op, document_id};
    return rc;
}

//  --------------------------------------------------------------------------
//  Parsing

//  The hex string member name of commit (a JSON object), decoded.
static panda_err_t
s_hex_member (json_t *commit, const char *name, uint8_t **bytes, size_t *len, panda_error_t *err)
{
    json_t *v = json_object_get (commit, name);
    if (!json_is_string (v))
        return panda_error_set (err, PANDA_ERR_DECODE, "missing %s (a hex string)", name);
    if (panda_hex_decode (json_string_value (v), json_string_length (v), bytes, len, err))
        return panda_error_prefix (err, "%s: ", name);
    return PANDA_OK;
}

static panda_err_t
s_parse_commit (panda_schema_lock_t *self, json_t *commit, panda_error_t *err)
{
    if (!json_is_object (commit))
        return panda_error_set (err, PANDA_ERR_DECODE, "not a table");
    const char *name;
    json_t *value;
    json_object_foreach (commit, name, value)
    {
        if (strcmp (name, "entry_hash") != 0 && strcmp (name, "entry") != 0 &&
            strcmp (name, "operation") != 0)
            return panda_error_set (err, PANDA_ERR_DECODE, "unknown field '%s'", name);
    }
    json_t *hash_text = json_object_get (commit, "entry_hash");
    panda_hash_t claimed;
    if (!json_is_string (hash_text))
        return panda_error_set (err, PANDA_ERR_DECODE, "missing entry_hash (a hex string)");
    if (panda_hash_from_hex (&claimed, json_string_value (hash_text), json_string_length (hash_text), err))
        return panda_error_prefix (err, "entry_hash: ");
    uint8_t *entry_bytes = NULL, *op_bytes = NULL;
    size_t entry_len, op_len;
    panda_entry_t *entry = NULL;
    panda_operation_t *op = NULL;
    panda_err_t rc = s_hex_member (commit, "entry", &entry_bytes, &entry_len, err);
    rc = rc ? rc : s_hex_member (commit, "operation", &op_bytes, &op_len, err);
    if (!rc) {
        panda_hash_t actual;
        panda_hash_compute (&actual, entry_bytes, entry_len);
        char hex[PANDA_HASH_HEX_SIZE + 1];
        if (!panda_hash_eq (&actual, &claimed))
            rc = panda_error_set (err, PANDA_ERR_INVALID,
                                  "entry_hash does not match its entry, whose hash is %s (the lock file was "
                                  "changed)",
                                  panda_hash_to_hex (&actual, hex));
    }
    if (!rc && panda_entry_decode_verified (&entry, entry_bytes, entry_len, err))
        rc = panda_error_prefix (err, "entry: ");
    if (!rc && !(op = panda_operation_decode (op_bytes, op_len, err)))
        rc = panda_error_prefix (err, "operation: ");
    free (entry_bytes);
    free (op_bytes);
    if (rc) {
        panda_entry_destroy (&entry);
        return rc;
    }
    return panda_schema_lock_append (self, &entry, &op, err);
}

panda_schema_lock_t *
panda_schema_lock_parse (const char *text, size_t len, panda_error_t *err)
{
    if (len > PANDA_SCHEMA_LOCK_MAX_BYTES) {
        panda_error_set (err, PANDA_ERR_LIMIT, "lock file of %zu bytes is larger than %u bytes", len,
                         PANDA_SCHEMA_LOCK_MAX_BYTES);
        return NULL;
    }
    json_t *root = panda_toml_parse_document (text, len, err);
    if (!root) {
        panda_error_prefix (err, "invalid TOML: ");
        return NULL;
    }
    panda_schema_lock_t *self = panda_schema_lock_new ();
    const char *name;
    json_t *value, *version = json_object_get (root, "version"), *commits = json_object_get (root, "commits");
    panda_err_t rc = self ? PANDA_OK : panda_error_set (err, PANDA_ERR_NOMEM, "out of memory");
    json_object_foreach (root, name, value)
    {
        if (!rc && strcmp (name, "version") != 0 && strcmp (name, "commits") != 0)
            rc = panda_error_set (err, PANDA_ERR_DECODE, "unknown key '%s' in lock file", name);
    }
    if (!rc && !json_is_integer (version))
        rc = panda_error_set (err, PANDA_ERR_DECODE, "missing version (an integer)");
    else if (!rc && json_integer_value (version) != PANDA_SCHEMA_LOCK_VERSION)
        rc = panda_error_set (err, PANDA_ERR_DECODE, "unsupported lock file version %lld",
                              (long long) json_integer_value (version));
    else if (!rc && commits && !json_is_array (commits))
        rc = panda_error_set (err, PANDA_ERR_DECODE, "commits must be an array of tables ([[commits]])");
    for (size_t i = 0; !rc && i < json_array_size (commits); i++) {
        json_t *commit = json_array_get (commits, i);
        if ((rc = s_parse_commit (self, commit, err))) {
            const char *hash = json_string_value (json_object_get (commit, "entry_hash"));
            panda_error_prefix (err, "commit %zu%s%.68s%s: ", i + 1, hash ? " (" : "", hash ? hash : "",
                                hash ? ")" : "");
        }
    }
    json_decref (root);
    if (rc)
        panda_schema_lock_destroy (&self);
    return self;
}

//  --------------------------------------------------------------------------
//  Accessors and formatting

size_t
panda_schema_lock_count (const panda_schema_lock_t *self)
{
    return self->count;
}

const panda_entry_t *
panda_schema_lock_entry (const panda_schema_lock_t *self, size_t index)
{
    return index < self->count ? self->commits[index].entry : NULL;
}

const panda_operation_t *
panda_schema_lock_operation (const panda_schema_lock_t *self, size_t index)
{
    return index < self->count ? self->commits[index].operation : NULL;
}

const uint8_t *
panda_schema_lock_operation_bytes (const panda_schema_lock_t *self, size_t index, size_t *len)
{
    *len = 0;
    return index < self->count ? panda_operation_bytes (self->commits[index].operation, len) : NULL;
}

const panda_hash_t *
panda_schema_lock_document (const panda_schema_lock_t *self, size_t index)
{
    return index < self->count ? &self->commits[index].document_id : NULL;
}

char *
panda_schema_lock_format (const panda_schema_lock_t *self)
{
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream (&text, &size);
    if (!out)
        return NULL;
    fprintf (out,
             "# This file is automatically generated by `panda schema build` (fishy's format).\n"
             "# It is not intended for manual editing.\n\nversion = %d\n",
             PANDA_SCHEMA_LOCK_VERSION);
    bool ok = true;
    for (size_t i = 0; i < self->count && ok; i++) {
        size_t entry_len, op_len;
        const uint8_t *entry = panda_entry_bytes (self->commits[i].entry, &entry_len);
        const uint8_t *op = panda_operation_bytes (self->commits[i].operation, &op_len);
        char *entry_hex = panda_hex_encode (entry, entry_len),
             *op_hex = op ? panda_hex_encode (op, op_len) : NULL;
        char hash[PANDA_HASH_HEX_SIZE + 1];
        ok = entry_hex && op_hex;
        if (ok)
            fprintf (out, "\n[[commits]]\nentry_hash = \"%s\"\nentry = \"%s\"\noperation = \"%s\"\n",
                     panda_hash_to_hex (panda_entry_hash (self->commits[i].entry), hash), entry_hex, op_hex);
        free (entry_hex);
        free (op_hex);
    }
    if (fclose (out) != 0 || !ok) {
        free (text);
        return NULL;
    }
    return text;
}
