/*  panda_operation.c - p2panda operations: canonical CBOR codec.
    See panda_operation.h and spec data-types.md §4.

    The decoder walks the array in the reference order (§4.4) and uses the
    reference messages; on top of that it rejects what §11 lists as
    reference leniencies (trailing bytes, indefinite lengths, non-shortest
    heads and floats, tags, `previous` as text, non-canonical schema ids,
    hashes with a length byte other than 0x20, empty field names). So every
    accepted input re-encodes to exactly the same bytes.

    Values nest at most four levels deep (operation array, fields map, list,
    inner list); the decoder follows that fixed shape and never recurses on
    input, so no input can exhaust the stack.                                */
#include "panda/panda_operation.h"
#include "panda/panda_schema_id.h"
#include "panda_cbor.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define S_PLAIN_VALUE_ERROR                                                                                  \
    "error deserializing plain value: data did not match any variant of untagged enum PlainValue"
#define S_OUT_OF_RANGE "error deserializing plain value: out of range integral type conversion attempted"
#define S_DESCRIBE_SIZE 64

typedef struct {
    char *name; //  NUL-terminated, never empty, no NUL inside
    size_t name_len;
    panda_value_t value;
} s_field_t;

struct _panda_operation_t {
    panda_action_t action;
    char *schema_id; //  canonical
    panda_hash_t *previous; //  sorted ascending, unique
    size_t n_previous;
    s_field_t *fields; //  sorted by name byte-wise
    size_t n_fields;
    size_t cap_fields;
    uint8_t *bytes; //  as decoded, or the cached encoding; NULL until encoded
    size_t len;
};

const char *
panda_action_name (panda_action_t action)
{
    switch (action) {
        case PANDA_ACTION_CREATE: return "create";
        case PANDA_ACTION_UPDATE: return "update";
        case PANDA_ACTION_DELETE: return "delete";
    }
    return "unknown";
}

//  Byte-wise order of two names, shorter first on a common prefix.
static int
s_name_cmp (const char *a, size_t alen, const char *b, size_t blen)
{
    int c = memcmp (a, b, alen < blen ? alen : blen);
    if (c)
        return c;
    return alen < blen ? -1 : alen > blen;
}

static char *
s_strndup (const char *text, size_t len)
{
    char *copy = malloc (len + 1);
    if (copy) {
        memcpy (copy, text, len);
        copy[len] = '\0';
    }
    return copy;
}

//  ---------------------------------------------------------------------------
//  Decoding

static panda_err_t
s_invalid_type (const panda_cbor_head_t *head, const char *expected, panda_error_t *err)
{
    char what[S_DESCRIBE_SIZE];
    return panda_error_set (err, PANDA_ERR_DECODE, "invalid type: %s, expected %s",
                            panda_cbor_head_describe (head, what, sizeof what), expected);
}

//  Read a TEXT item's payload and check it is UTF-8.
static panda_err_t
s_read_text (panda_cbor_reader_t *r, const panda_cbor_head_t *head, const uint8_t **text, panda_error_t *err)
{
    panda_err_t rc = panda_cbor_read_payload (r, head->arg, text, err);
    if (!rc && !panda_cbor_utf8_valid (*text, head->arg))
        rc = panda_error_set (err, PANDA_ERR_DECODE, "invalid cbor encoding at byte %zu", head->offset);
    return rc;
}

//  The next item, which must be of major type major (else "invalid type:
//  ..., expected <expected>", or the plain value error for NULL expected).
//  Text and bytes also read their payload into *data (text checked UTF-8).
static panda_err_t
s_read_item (panda_cbor_reader_t *r, uint8_t major, const char *expected, panda_cbor_head_t *head,
             const uint8_t **data, panda_error_t *err)
{
    panda_err_t rc = panda_cbor_read_head (r, head, err);
    if (rc)
        return rc;
    if (head->major != major)
        return expected ? s_invalid_type (head, expected, err)
                        : panda_error_set (err, PANDA_ERR_DECODE, S_PLAIN_VALUE_ERROR);
    if (major == PANDA_CBOR_TEXT)
        return s_read_text (r, head, data, err);
    if (major == PANDA_CBOR_BYTES)
        return panda_cbor_read_payload (r, head->arg, data, err);
    return PANDA_OK;
}

//  One hash inside a value list: a byte string holding a valid hash.
static panda_err_t
s_read_list_hash (panda_cbor_reader_t *r, panda_hash_t *hash, panda_error_t *err)
{
    panda_cbor_head_t head;
    const uint8_t *data;
    panda_err_t rc = s_read_item (r, PANDA_CBOR_BYTES, NULL, &head, &data, err);
    if (rc)
        return rc;
    if (head.arg == PANDA_HASH_SIZE && data[0] == 0x00 && data[1] != 0x20)
        return panda_error_set (err, PANDA_ERR_DECODE,
                                "error deserializing plain value: hash at byte %zu has length byte 0x%02x, "
                                "expected 0x20",
                                head.offset, data[1]);
    if (panda_hash_from_bytes (hash, data, head.arg, NULL))
        return panda_error_set (err, PANDA_ERR_DECODE, S_PLAIN_VALUE_ERROR);
    return PANDA_OK;
}

//  count hashes into a fresh list (count already bounded by the input size).
static panda_err_t
s_read_hashes (panda_cbor_reader_t *r, uint64_t count, panda_hash_list_t *list, panda_error_t *err)
{
    list->count = 0;
    list->items = NULL;
    if (count == 0)
        return PANDA_OK;
    list->items = malloc ((size_t) count * sizeof (panda_hash_t));
    if (!list->items)
        return panda_error_set (err, PANDA_ERR_NOMEM, "out of memory");
    for (uint64_t i = 0; i < count; i++) {
        panda_err_t rc = s_read_list_hash (r, &list->items[i], err);
        if (rc) {
            free (list->items);
            list->items = NULL;
            return rc;
        }
    }
    list->count = (size_t) count;
    return PANDA_OK;
}

//  An array value: a flat list of hashes, or a list of such lists.
static panda_err_t
s_decode_hash_array (panda_cbor_reader_t *r, uint64_t count, panda_value_t *value, panda_error_t *err)
{
    if (count > panda_cbor_remaining (r))
        return panda_error_set (err, PANDA_ERR_DECODE, PANDA_CBOR_TRUNCATED);
    if (count == 0 || (*r->ptr >> 5) != PANDA_CBOR_ARRAY) {
        panda_err_t rc = s_read_hashes (r, count, &value->as.list, err);
        if (!rc)
            value->kind = PANDA_VALUE_HASH_LIST;
        return rc;
    }
    panda_value_set_hash_list_list (value);
    value->as.lists.lists = malloc ((size_t) count * sizeof (panda_hash_list_t));
    if (!value->as.lists.lists)
        return panda_error_set (err, PANDA_ERR_NOMEM, "out of memory");
    for (uint64_t i = 0; i < count; i++) {
        panda_cbor_head_t head;
        panda_err_t rc = s_read_item (r, PANDA_CBOR_ARRAY, NULL, &head, NULL, err);
        if (!rc && head.arg > panda_cbor_remaining (r))
            rc = panda_error_set (err, PANDA_ERR_DECODE, PANDA_CBOR_TRUNCATED);
        if (!rc)
            rc = s_read_hashes (r, head.arg, &value->as.lists.lists[i], err);
        if (rc)
            return rc; //  the caller clears the partial value
        value->as.lists.count++;
    }
    return PANDA_OK;
}

static panda_err_t
s_decode_simple (const panda_cbor_head_t *head, panda_value_t *value, panda_error_t *err)
{
    switch (head->info) {
        case PANDA_CBOR_FALSE:
        case PANDA_CBOR_TRUE: panda_value_set_bool (value, head->info == PANDA_CBOR_TRUE); return PANDA_OK;
        case PANDA_CBOR_FLOAT16:
        case PANDA_CBOR_FLOAT32:
        case PANDA_CBOR_FLOAT64: panda_value_set_float (value, panda_cbor_head_float (head)); return PANDA_OK;
        case PANDA_CBOR_NULL:
        case PANDA_CBOR_UNDEFINED: return panda_error_set (err, PANDA_ERR_DECODE, S_PLAIN_VALUE_ERROR);
        default:
            return panda_error_set (err, PANDA_ERR_DECODE,
                                    "invalid type: simple, expected known simple value");
    }
}

static panda_err_t
s_decode_value (panda_cbor_reader_t *r, panda_value_t *value, panda_error_t *err)
{
    panda_cbor_head_t head;
    const uint8_t *data;
    panda_err_t rc = panda_cbor_read_head (r, &head, err);
    if (rc)
        return rc;
    switch (head.major) {
        case PANDA_CBOR_UINT:
        case PANDA_CBOR_NINT:
            if (head.arg > INT64_MAX)
                return panda_error_set (err, PANDA_ERR_DECODE, S_OUT_OF_RANGE);
            panda_value_set_int (value, head.major == PANDA_CBOR_UINT ? (int64_t) head.arg
                                                                      : -1 - (int64_t) head.arg);
            return PANDA_OK;
        case PANDA_CBOR_BYTES:
            if ((rc = panda_cbor_read_payload (r, head.arg, &data, err)))
                return rc;
            if (panda_value_set_bytes (value, data, head.arg))
                return panda_error_set (err, PANDA_ERR_NOMEM, "out of memory");
            return PANDA_OK;
        case PANDA_CBOR_TEXT:
            if ((rc = s_read_text (r, &head, &data, err)))
                return rc;
            if (panda_value_set_str (value, (const char *) data, head.arg))
                return panda_error_set (err, PANDA_ERR_NOMEM, "out of memory");
            return PANDA_OK;
        case PANDA_CBOR_ARRAY: return s_decode_hash_array (r, head.arg, value, err);
        case PANDA_CBOR_TAG:
            if (head.arg == 2) //  the reference reads a bignum as an integer (§11); we do not
                return panda_error_set (
                    err, PANDA_ERR_DECODE,
                    "error deserializing plain value: CBOR tag 2 (bignum) at byte %zu is not "
                    "allowed, integers must be plain CBOR integers",
                    head.offset);
            return panda_error_set (err, PANDA_ERR_DECODE, S_PLAIN_VALUE_ERROR);
        case PANDA_CBOR_MAP: return panda_error_set (err, PANDA_ERR_DECODE, S_PLAIN_VALUE_ERROR);
        default: return s_decode_simple (&head, value, err);
    }
}

static panda_err_t
s_decode_number (panda_cbor_reader_t *r, uint64_t *number, const char *what, panda_error_t *err)
{
    panda_cbor_head_t head;
    panda_err_t rc = panda_cbor_read_head (r, &head, err);
    if (rc)
        return rc;
    if (head.major == PANDA_CBOR_NINT)
        return panda_error_set (err, PANDA_ERR_DECODE, "%s -%" PRIu64, what,
                                head.arg == UINT64_MAX ? head.arg : head.arg + 1);
    if (head.major != PANDA_CBOR_UINT)
        return s_invalid_type (&head, "integer", err);
    *number = head.arg;
    return PANDA_OK;
}

static panda_err_t
s_decode_schema_id (panda_operation_t *self, panda_cbor_reader_t *r, panda_error_t *err)
{
    panda_cbor_head_t head;
    const uint8_t *text;
    panda_err_t rc = s_read_item (r, PANDA_CBOR_TEXT, "schema id as string", &head, &text, err);
    if (rc)
        return rc;
    if ((rc = panda_schema_id_validate ((const char *) text, head.arg, err)))
        return rc;
    self->schema_id = s_strndup ((const char *) text, head.arg);
    return self->schema_id ? PANDA_OK : panda_error_set (err, PANDA_ERR_NOMEM, "out of memory");
}

static panda_err_t
s_decode_previous (panda_operation_t *self, panda_cbor_reader_t *r, panda_error_t *err)
{
    panda_cbor_head_t head;
    const uint8_t *data;
    panda_err_t rc = panda_cbor_read_head (r, &head, err);
    if (rc)
        return rc;
    if (head.major == PANDA_CBOR_TEXT) //  the reference also takes "id_id" text (§11); we do not
        return panda_error_set (err, PANDA_ERR_DECODE,
                                "invalid type: string, expected document view id as array of byte strings "
                                "(the text form is not accepted inside operations)");
    if (head.major != PANDA_CBOR_ARRAY)
        return s_invalid_type (&head, "document view id as array or in string representation", err);
    if (head.arg == 0)
        return panda_error_set (err, PANDA_ERR_DECODE, "expected one or more operation ids");
    if (head.arg > panda_cbor_remaining (r))
        return panda_error_set (err, PANDA_ERR_DECODE, PANDA_CBOR_TRUNCATED);
    self->previous = malloc ((size_t) head.arg * sizeof (panda_hash_t));
    if (!self->previous)
        return panda_error_set (err, PANDA_ERR_NOMEM, "out of memory");
    for (uint64_t i = 0; i < head.arg; i++) {
        panda_cbor_head_t item;
        panda_hash_t *hash = &self->previous[i];
        if ((rc = s_read_item (r, PANDA_CBOR_BYTES, "byte buffer", &item, &data, err)) ||
            (rc = panda_hash_from_bytes (hash, data, item.arg, err)))
            return rc;
        if (i > 0 && panda_hash_cmp (hash - 1, hash) >= 0)
            return panda_error_set (err, PANDA_ERR_DECODE,
                                    "expected sorted operation ids in document view id");
        self->n_previous++;
    }
    return PANDA_OK;
}

//  A field name at head: text, UTF-8, not empty, after the previous name.
static panda_err_t
s_decode_field_name (panda_operation_t *self, panda_cbor_reader_t *r, s_field_t *field, panda_error_t *err)
{
    panda_cbor_head_t head;
    const uint8_t *text;
    panda_err_t rc = s_read_item (r, PANDA_CBOR_TEXT, "string", &head, &text, err);
    if (rc)
        return rc;
    const char *name = (const char *) text;
    size_t len = head.arg;
    if (len == 0) //  the reference decodes "" and lets schema validation reject it (§11)
        return panda_error_set (err, PANDA_ERR_DECODE, "empty field name at byte %zu", head.offset);
    if (memchr (name, '\0', len))
        return panda_error_set (err, PANDA_ERR_DECODE, "field name at byte %zu contains a NUL character",
                                head.offset);
    if (self->n_fields > 0) {
        const s_field_t *last = &self->fields[self->n_fields - 1];
        int c = s_name_cmp (last->name, last->name_len, name, len);
        if (c == 0)
            return panda_error_set (err, PANDA_ERR_DECODE, "encountered duplicate field key '%.*s'",
                                    (int) len, name);
        if (c > 0)
            return panda_error_set (err, PANDA_ERR_DECODE,
                                    "encountered unsorted field name: '%.*s' should be before '%s'",
                                    (int) len, name, last->name);
    }
    if (!(field->name = s_strndup (name, len)))
        return panda_error_set (err, PANDA_ERR_NOMEM, "out of memory");
    field->name_len = len;
    return PANDA_OK;
}

static panda_err_t
s_decode_fields (panda_operation_t *self, panda_cbor_reader_t *r, panda_error_t *err)
{
    panda_cbor_head_t head;
    panda_err_t rc = s_read_item (r, PANDA_CBOR_MAP, "map", &head, NULL, err);
    if (rc)
        return rc;
    if (head.arg > panda_cbor_remaining (r) / 2)
        return panda_error_set (err, PANDA_ERR_DECODE, PANDA_CBOR_TRUNCATED);
    if (head.arg > PANDA_OPERATION_MAX_FIELDS)
        return panda_error_set (err, PANDA_ERR_LIMIT, "too many fields: %" PRIu64 " (at most %d)", head.arg,
                                PANDA_OPERATION_MAX_FIELDS);
    self->fields = calloc (head.arg ? (size_t) head.arg : 1, sizeof (s_field_t));
    if (!self->fields)
        return panda_error_set (err, PANDA_ERR_NOMEM, "out of memory");
    self->cap_fields = head.arg ? (size_t) head.arg : 1;
    for (uint64_t i = 0; i < head.arg; i++) {
        s_field_t *field = &self->fields[self->n_fields];
        if ((rc = s_decode_field_name (self, r, field, err)))
            return rc;
        panda_value_set_bool (&field->value, false);
        self->n_fields++; //  owned from here on, so destroy frees a partial value
        if ((rc = s_decode_value (r, &field->value, err)))
            return rc;
    }
    return PANDA_OK;
}

static panda_err_t
s_decode (panda_operation_t *self, panda_cbor_reader_t *r, panda_error_t *err)
{
    panda_cbor_head_t head;
    uint64_t number;
    panda_err_t rc = s_read_item (r, PANDA_CBOR_ARRAY, "array", &head, NULL, err);
    if (rc)
        return rc;
    uint64_t items = head.arg;
    if (items < 1)
        return panda_error_set (err, PANDA_ERR_DECODE, "missing version field in operation format");
    if ((rc = s_decode_number (r, &number, "unsupported operation version", err)))
        return rc;
    if (number != PANDA_OPERATION_VERSION)
        return panda_error_set (err, PANDA_ERR_DECODE, "unsupported operation version %" PRIu64, number);
    if (items < 2)
        return panda_error_set (err, PANDA_ERR_DECODE, "missing action field in operation format");
    if ((rc = s_decode_number (r, &number, "unknown operation action", err)))
        return rc;
    if (number > PANDA_ACTION_DELETE)
        return panda_error_set (err, PANDA_ERR_DECODE, "unknown operation action %" PRIu64, number);
    self->action = (panda_action_t) number;
    if (items < 3)
        return panda_error_set (err, PANDA_ERR_DECODE, "missing schema id field in operation format");
    if ((rc = s_decode_schema_id (self, r, err)))
        return rc;
    uint64_t expected = 3;
    if (self->action != PANDA_ACTION_CREATE) {
        if (items <= expected++)
            return panda_error_set (err, PANDA_ERR_DECODE, "missing previous for this operation action");
        if ((rc = s_decode_previous (self, r, err)))
            return rc;
    }
    if (self->action != PANDA_ACTION_DELETE) {
        if (items <= expected++)
            return panda_error_set (err, PANDA_ERR_DECODE, "missing fields for this operation action");
        if ((rc = s_decode_fields (self, r, err)))
            return rc;
    }
    if (items > expected)
        return panda_error_set (err, PANDA_ERR_DECODE, "too many items for this operation action");
    if (panda_cbor_remaining (r)) //  the reference ignores them (§11)
        return panda_error_set (err, PANDA_ERR_DECODE, "trailing bytes after the operation at byte %zu",
                                panda_cbor_offset (r));
    return PANDA_OK;
}

panda_operation_t *
panda_operation_decode (const uint8_t *bytes, size_t len, panda_error_t *err)
{
    panda_operation_t *self = calloc (1, sizeof *self);
    if (!self) {
        panda_error_set (err, PANDA_ERR_NOMEM, "out of memory");
        return NULL;
    }
    panda_cbor_reader_t reader;
    panda_cbor_reader_init (&reader, bytes, len);
    if (s_decode (self, &reader, err))
        goto fail;
    self->bytes = malloc (len);
    if (!self->bytes) {
        panda_error_set (err, PANDA_ERR_NOMEM, "out of memory");
        goto fail;
    }
    memcpy (self->bytes, bytes, len);
    self->len = len;
    return self;
fail:
    panda_operation_destroy (&self);
    return NULL;
}

void
panda_operation_destroy (panda_operation_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    panda_operation_t *self = *self_p;
    for (size_t i = 0; i < self->n_fields; i++) {
        free (self->fields[i].name);
        panda_value_clear (&self->fields[i].value);
    }
    free (self->fields);
    free (self->previous);
    free (self->schema_id);
    free (self->bytes);
    free (self);
    *self_p = NULL;
}

//  ---------------------------------------------------------------------------
//  Accessors

panda_action_t
panda_operation_action (const panda_operation_t *self)
{
    return self->action;
}

const char *
panda_operation_schema_id (const panda_operation_t *self)
{
    return self->schema_id;
}

const panda_hash_t *
panda_operation_previous (const panda_operation_t *self, size_t *count)
{
    if (count)
        *count = self->n_previous;
    return self->previous;
}

size_t
panda_operation_field_count (const panda_operation_t *self)
{
    return self->n_fields;
}

const char *
panda_operation_field_name (const panda_operation_t *self, size_t index)
{
    return index < self->n_fields ? self->fields[index].name : NULL;
}

const panda_value_t *
panda_operation_field_value (const panda_operation_t *self, size_t index)
{
    return index < self->n_fields ? &self->fields[index].value : NULL;
}

//  Index of name, or where it would be inserted (*found false).
static size_t
s_find (const panda_operation_t *self, const char *name, size_t len, bool *found)
{
    size_t lo = 0, hi = self->n_fields;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = s_name_cmp (self->fields[mid].name, self->fields[mid].name_len, name, len);
        if (c == 0) {
            *found = true;
            return mid;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = false;
    return lo;
}

const panda_value_t *
panda_operation_field (const panda_operation_t *self, const char *name)
{
    bool found;
    size_t index = s_find (self, name, strlen (name), &found);
    return found ? &self->fields[index].value : NULL;
}

//  ---------------------------------------------------------------------------
//  Building and encoding

static int
s_hash_qsort_cmp (const void *a, const void *b)
{
    return panda_hash_cmp (a, b);
}

static panda_err_t
s_check_hashes (const panda_hash_t *items, size_t count, panda_error_t *err)
{
    panda_hash_t check;
    for (size_t i = 0; i < count; i++)
        if (panda_hash_from_bytes (&check, items[i].bytes, PANDA_HASH_SIZE, err))
            return PANDA_ERR_INVALID;
    return PANDA_OK;
}

static panda_err_t
s_set_previous (panda_operation_t *self, const panda_hash_t *previous, size_t count, panda_error_t *err)
{
    if (self->action == PANDA_ACTION_CREATE)
        return count ? panda_error_set (err, PANDA_ERR_INVALID, "a CREATE operation has no previous")
                     : PANDA_OK;
    if (count == 0 || !previous)
        return panda_error_set (err, PANDA_ERR_INVALID, "expected one or more operation ids");
    if (s_check_hashes (previous, count, err))
        return PANDA_ERR_INVALID;
    self->previous = malloc (count * sizeof (panda_hash_t));
    if (!self->previous)
        return panda_error_set (err, PANDA_ERR_NOMEM, "out of memory");
    //  A document view id is sorted and de-duplicated, as p2panda-js does.
    memcpy (self->previous, previous, count * sizeof (panda_hash_t));
    qsort (self->previous, count, sizeof (panda_hash_t), s_hash_qsort_cmp);
    for (size_t i = 0; i < count; i++)
        if (self->n_previous == 0 ||
            !panda_hash_eq (&self->previous[self->n_previous - 1], &self->previous[i]))
            self->previous[self->n_previous++] = self->previous[i];
    return PANDA_OK;
}

panda_operation_t *
panda_operation_new (panda_action_t action, const char *schema_id, const panda_hash_t *previous,
                     size_t n_previous, panda_error_t *err)
{
    if (action != PANDA_ACTION_CREATE && action != PANDA_ACTION_UPDATE && action != PANDA_ACTION_DELETE) {
        panda_error_set (err, PANDA_ERR_INVALID, "unknown operation action %d", (int) action);
        return NULL;
    }
    if (!schema_id || panda_schema_id_validate (schema_id, strlen (schema_id), err))
        return NULL;
    panda_operation_t *self = calloc (1, sizeof *self);
    if (!self) {
        panda_error_set (err, PANDA_ERR_NOMEM, "out of memory");
        return NULL;
    }
    self->action = action;
    if (!(self->schema_id = s_strndup (schema_id, strlen (schema_id)))) {
        panda_error_set (err, PANDA_ERR_NOMEM, "out of memory");
        goto fail;
    }
    if (s_set_previous (self, previous, n_previous, err))
        goto fail;
    return self;
fail:
    panda_operation_destroy (&self);
    return NULL;
}

static panda_err_t
s_check_value (const char *name, const panda_value_t *value, panda_error_t *err)
{
    panda_err_t rc = PANDA_OK;
    switch (value->kind) {
        case PANDA_VALUE_STR:
            if (!panda_cbor_utf8_valid (value->as.bytes.data, value->as.bytes.len))
                return panda_error_set (err, PANDA_ERR_INVALID, "field '%s': text is not valid UTF-8", name);
            break;
        case PANDA_VALUE_HASH_LIST:
            rc = s_check_hashes (value->as.list.items, value->as.list.count, err);
            break;
        case PANDA_VALUE_HASH_LIST_LIST:
            for (size_t i = 0; !rc && i < value->as.lists.count; i++)
                rc = s_check_hashes (value->as.lists.lists[i].items, value->as.lists.lists[i].count, err);
            break;
        default: break;
    }
    if (rc)
        panda_error_prefix (err, "field '%s': ", name);
    return rc;
}

panda_err_t
panda_operation_set_field (panda_operation_t *self, const char *name, const panda_value_t *value,
                           panda_error_t *err)
{
    size_t len = name ? strlen (name) : 0;
    if (self->action == PANDA_ACTION_DELETE)
        return panda_error_set (err, PANDA_ERR_INVALID, "a DELETE operation has no fields");
    if (len == 0 || !panda_cbor_utf8_valid ((const uint8_t *) name, len))
        return panda_error_set (err, PANDA_ERR_INVALID, "field names must be non-empty UTF-8 text");
    panda_err_t rc = s_check_value (name, value, err);
    if (rc)
        return rc;
    panda_value_t copy;
    if (panda_value_copy (&copy, value))
        return panda_error_set (err, PANDA_ERR_NOMEM, "out of memory");
    bool found;
    size_t index = s_find (self, name, len, &found);
    if (found) {
        panda_value_clear (&self->fields[index].value);
        self->fields[index].value = copy;
    } else {
        char *owned = s_strndup (name, len);
        if (self->n_fields >= PANDA_OPERATION_MAX_FIELDS)
            rc = panda_error_set (err, PANDA_ERR_LIMIT, "too many fields (at most %d)",
                                  PANDA_OPERATION_MAX_FIELDS);
        else if (!owned)
            rc = panda_error_set (err, PANDA_ERR_NOMEM, "out of memory");
        else if (self->n_fields == self->cap_fields) {
            size_t cap = self->cap_fields ? 2 * self->cap_fields : 8;
            s_field_t *grown = realloc (self->fields, cap * sizeof (s_field_t));
            if (!grown)
                rc = panda_error_set (err, PANDA_ERR_NOMEM, "out of memory");
            else
                self->fields = grown, self->cap_fields = cap;
        }
        if (rc) {
            free (owned);
            panda_value_clear (&copy);
            return rc;
        }
        memmove (&self->fields[index + 1], &self->fields[index],
                 (self->n_fields - index) * sizeof (s_field_t));
        self->fields[index] = (s_field_t){owned, len, copy};
        self->n_fields++;
    }
    free (self->bytes); //  the cached encoding is stale now
    self->bytes = NULL;
    self->len = 0;
    return PANDA_OK;
}

static void
s_write_hashes (panda_cbor_writer_t *w, const panda_hash_list_t *list)
{
    panda_cbor_write_head (w, PANDA_CBOR_ARRAY, list->count);
    for (size_t i = 0; i < list->count; i++)
        panda_cbor_write_bytes (w, list->items[i].bytes, PANDA_HASH_SIZE);
}

static void
s_write_value (panda_cbor_writer_t *w, const panda_value_t *value)
{
    switch (value->kind) {
        case PANDA_VALUE_BOOL: panda_cbor_write_bool (w, value->as.boolean); break;
        case PANDA_VALUE_INT: panda_cbor_write_int (w, value->as.integer); break;
        case PANDA_VALUE_FLOAT: panda_cbor_write_float (w, value->as.real); break;
        case PANDA_VALUE_STR:
            panda_cbor_write_text (w, (const char *) value->as.bytes.data, value->as.bytes.len);
            break;
        case PANDA_VALUE_BYTES: panda_cbor_write_bytes (w, value->as.bytes.data, value->as.bytes.len); break;
        case PANDA_VALUE_HASH_LIST: s_write_hashes (w, &value->as.list); break;
        case PANDA_VALUE_HASH_LIST_LIST:
            panda_cbor_write_head (w, PANDA_CBOR_ARRAY, value->as.lists.count);
            for (size_t i = 0; i < value->as.lists.count; i++)
                s_write_hashes (w, &value->as.lists.lists[i]);
            break;
    }
}

static bool
s_encode (panda_operation_t *self)
{
    panda_cbor_writer_t w;
    panda_cbor_writer_init (&w);
    size_t items = self->action == PANDA_ACTION_UPDATE ? 5 : 4;
    panda_cbor_write_head (&w, PANDA_CBOR_ARRAY, items);
    panda_cbor_write_head (&w, PANDA_CBOR_UINT, PANDA_OPERATION_VERSION);
    panda_cbor_write_head (&w, PANDA_CBOR_UINT, (uint64_t) self->action);
    panda_cbor_write_text (&w, self->schema_id, strlen (self->schema_id));
    if (self->action != PANDA_ACTION_CREATE) {
        panda_hash_list_t previous = {self->n_previous, self->previous};
        s_write_hashes (&w, &previous);
    }
    if (self->action != PANDA_ACTION_DELETE) {
        panda_cbor_write_head (&w, PANDA_CBOR_MAP, self->n_fields);
        for (size_t i = 0; i < self->n_fields; i++) {
            panda_cbor_write_text (&w, self->fields[i].name, self->fields[i].name_len);
            s_write_value (&w, &self->fields[i].value);
        }
    }
    if (w.failed) {
        panda_cbor_writer_free (&w);
        return false;
    }
    self->bytes = w.data;
    self->len = w.len;
    return true;
}

const uint8_t *
panda_operation_bytes (panda_operation_t *self, size_t *len)
{
    if (!self->bytes && !s_encode (self)) {
        *len = 0;
        return NULL;
    }
    *len = self->len;
    return self->bytes;
}
