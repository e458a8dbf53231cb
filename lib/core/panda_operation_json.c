/*  panda_operation_json.c - operations to and from JSON. See
    panda_operation_json.h. Input is untrusted (CLI, tests): every member is
    type-checked and every failure names the member at fault.               */
#include "panda_operation_json_int.h"
#include "panda/panda_hex.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_F64_BITS_HEX 16

static int
s_hash_cmp (const void *a, const void *b)
{
    return panda_hash_cmp (a, b);
}

//  A JSON array of hash strings into fresh *items (caller frees). A view id
//  (pinned relation, previous) is sorted, de-duplicated and non-empty.
static panda_err_t
s_hash_array (const json_t *array, bool view_id, panda_hash_t **items, size_t *count, panda_error_t *err)
{
    *items = NULL;
    *count = 0;
    if (!json_is_array (array))
        return panda_error_set (err, PANDA_ERR_INVALID, "expected an array of hash strings");
    size_t n = json_array_size (array);
    if (view_id && n == 0)
        return panda_error_set (err, PANDA_ERR_INVALID, "expected one or more operation ids");
    *items = malloc ((n ? n : 1) * sizeof (panda_hash_t));
    if (!*items)
        return panda_error_set (err, PANDA_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        const json_t *item = json_array_get (array, i);
        if (!json_is_string (item)) {
            free (*items);
            *items = NULL;
            return panda_error_set (err, PANDA_ERR_INVALID, "item %zu is not a hash string", i);
        }
        panda_err_t rc =
            panda_hash_from_hex (&(*items)[i], json_string_value (item), json_string_length (item), err);
        if (rc) {
            free (*items);
            *items = NULL;
            return panda_error_prefix (err, "item %zu: ", i);
        }
    }
    *count = n;
    if (view_id && n > 1) {
        qsort (*items, n, sizeof (panda_hash_t), s_hash_cmp);
        size_t unique = 1;
        for (size_t i = 1; i < n; i++)
            if (!panda_hash_eq (&(*items)[unique - 1], &(*items)[i]))
                (*items)[unique++] = (*items)[i];
        *count = unique;
    }
    return PANDA_OK;
}

//  A JSON number that is exactly an integer: a JSON integer, or a real with
//  an integral value of at most 2^53 (what JavaScript prints for integral
//  numbers, and what a reader that had to read integers as reals holds).
static bool
s_exact_integer (const json_t *json, int64_t *out)
{
    if (json_is_integer (json))
        return *out = json_integer_value (json), true;
    double d = json_is_real (json) ? json_real_value (json) : 0.5;
    if (d != (double) (int64_t) d || d > 9007199254740992.0 || d < -9007199254740992.0)
        return false;
    return *out = (int64_t) d, true;
}

static panda_err_t
s_int_from_json (panda_value_t *value, const json_t *json, panda_error_t *err)
{
    int64_t exact;
    if (s_exact_integer (json, &exact)) {
        panda_value_set_int (value, exact);
        return PANDA_OK;
    }
    const char *text = json_string_value (json);
    bool digits = text && (text[0] >= '0' && text[0] <= '9');
    if (text && text[0] == '-')
        digits = text[1] >= '0' && text[1] <= '9';
    if (!digits)
        return panda_error_set (err, PANDA_ERR_INVALID, "int value must be a decimal string");
    char *end;
    errno = 0;
    long long n = strtoll (text, &end, 10);
    if (errno || *end || (size_t) (end - text) != json_string_length (json))
        return panda_error_set (err, PANDA_ERR_INVALID, "int value '%s' is not a 64-bit signed integer",
                                text);
    panda_value_set_int (value, (int64_t) n);
    return PANDA_OK;
}

static panda_err_t
s_float_from_json (panda_value_t *value, const json_t *typed, panda_error_t *err)
{
    const json_t *bits_json = json_object_get (typed, "f64_bits");
    const json_t *number = json_object_get (typed, "value");
    if (bits_json) {
        const char *hex = json_string_value (bits_json);
        char *end;
        if (!hex || strlen (hex) != S_F64_BITS_HEX || panda_hex_digit (hex[0]) < 0)
            return panda_error_set (err, PANDA_ERR_INVALID, "f64_bits must be %d hex digits", S_F64_BITS_HEX);
        uint64_t bits = strtoull (hex, &end, 16);
        if (*end)
            return panda_error_set (err, PANDA_ERR_INVALID, "f64_bits must be %d hex digits", S_F64_BITS_HEX);
        double d;
        memcpy (&d, &bits, sizeof d);
        panda_value_set_float (value, d);
        return PANDA_OK;
    }
    if (!json_is_number (number))
        return panda_error_set (err, PANDA_ERR_INVALID, "float value must be a number (or give f64_bits)");
    panda_value_set_float (value, json_number_value (number));
    return PANDA_OK;
}

static panda_err_t
s_lists_from_json (panda_value_t *value, const json_t *json, panda_error_t *err)
{
    if (!json_is_array (json))
        return panda_error_set (err, PANDA_ERR_INVALID, "expected an array of hash arrays");
    panda_value_set_hash_list_list (value);
    for (size_t i = 0; i < json_array_size (json); i++) {
        panda_hash_t *items;
        size_t count;
        panda_err_t rc = s_hash_array (json_array_get (json, i), true, &items, &count, err);
        if (rc) {
            panda_value_clear (value);
            return panda_error_prefix (err, "list %zu: ", i);
        }
        rc = panda_value_append_list (value, items, count);
        free (items);
        if (rc) {
            panda_value_clear (value);
            return panda_error_set (err, PANDA_ERR_NOMEM, "out of memory");
        }
    }
    return PANDA_OK;
}

panda_err_t
panda_operation_json_value_from_typed (panda_value_t *value, const json_t *typed, panda_error_t *err)
{
    panda_value_set_bool (value, false);
    const char *type = json_string_value (json_object_get (typed, "type"));
    const json_t *json = json_object_get (typed, "value");
    if (!type)
        return panda_error_set (err, PANDA_ERR_INVALID, "missing \"type\"");
    if (strcmp (type, "float") == 0)
        return s_float_from_json (value, typed, err);
    if (!json)
        return panda_error_set (err, PANDA_ERR_INVALID, "missing \"value\"");
    if (strcmp (type, "int") == 0)
        return s_int_from_json (value, json, err);
    if (strcmp (type, "bool") == 0) {
        if (!json_is_boolean (json))
            return panda_error_set (err, PANDA_ERR_INVALID, "bool value must be true or false");
        panda_value_set_bool (value, json_is_true (json));
        return PANDA_OK;
    }
    if (strcmp (type, "str") == 0) {
        if (!json_is_string (json))
            return panda_error_set (err, PANDA_ERR_INVALID, "str value must be a string");
        if (panda_value_set_str (value, json_string_value (json), json_string_length (json)))
            return panda_error_set (err, PANDA_ERR_NOMEM, "out of memory");
        return PANDA_OK;
    }
    if (strcmp (type, "bytes") == 0 || strcmp (type, "relation") == 0) {
        if (!json_is_string (json))
            return panda_error_set (err, PANDA_ERR_INVALID, "%s value must be a hex string", type);
        uint8_t *bytes = NULL;
        size_t len = 0;
        panda_hash_t hash;
        panda_err_t rc =
            type[0] == 'r'
                ? panda_hash_from_hex (&hash, json_string_value (json), json_string_length (json), err)
                : panda_hex_decode (json_string_value (json), json_string_length (json), &bytes, &len, err);
        if (rc)
            return rc;
        if (type[0] == 'r')
            return panda_value_set_bytes (value, hash.bytes, PANDA_HASH_SIZE) ? PANDA_ERR_NOMEM : PANDA_OK;
        rc = panda_value_set_bytes (value, bytes, len);
        free (bytes);
        return rc ? panda_error_set (err, PANDA_ERR_NOMEM, "out of memory") : PANDA_OK;
    }
    if (strcmp (type, "relation_list") == 0 || strcmp (type, "pinned_relation") == 0) {
        panda_hash_t *items;
        size_t count;
        panda_err_t rc = s_hash_array (json, type[0] == 'p', &items, &count, err);
        if (rc)
            return rc;
        rc = panda_value_set_hash_list (value, items, count);
        free (items);
        return rc ? panda_error_set (err, PANDA_ERR_NOMEM, "out of memory") : PANDA_OK;
    }
    if (strcmp (type, "pinned_relation_list") == 0)
        return s_lists_from_json (value, json, err);
    return panda_error_set (err, PANDA_ERR_INVALID, "unknown field type '%s'", type);
}

static panda_err_t
s_parse_action (const json_t *json, panda_action_t *action, panda_error_t *err)
{
    static const char *names[] = {"create", "update", "delete"};
    const char *name = json_string_value (json_object_get (json, "action"));
    for (int i = 0; name && i < 3; i++)
        if (strcmp (name, names[i]) == 0) {
            *action = (panda_action_t) i;
            return PANDA_OK;
        }
    return panda_error_set (err, PANDA_ERR_INVALID,
                            "\"action\" must be \"create\", \"update\" or \"delete\"");
}

static panda_err_t
s_set_fields (panda_operation_t *op, const json_t *fields, panda_error_t *err)
{
    if (!json_is_object (fields))
        return panda_error_set (err, PANDA_ERR_INVALID, "\"fields\" must be an object");
    const char *name;
    const json_t *typed;
    json_object_foreach ((json_t *) fields, name, typed)
    {
        panda_value_t value;
        panda_err_t rc = panda_operation_json_value_from_typed (&value, typed, err);
        if (rc)
            return panda_error_prefix (err, "field '%s': ", name);
        rc = panda_operation_set_field (op, name, &value, err);
        panda_value_clear (&value);
        if (rc)
            return rc;
    }
    return PANDA_OK;
}

panda_operation_t *
panda_operation_from_json (const json_t *json, panda_error_t *err)
{
    panda_operation_t *op = NULL;
    panda_hash_t *previous = NULL;
    size_t n_previous = 0;
    panda_action_t action = PANDA_ACTION_CREATE;
    if (!json_is_object (json)) {
        panda_error_set (err, PANDA_ERR_INVALID, "operation JSON must be an object");
        return NULL;
    }
    const json_t *version = json_object_get (json, "version");
    int64_t version_number;
    if (version &&
        (!s_exact_integer (version, &version_number) || version_number != PANDA_OPERATION_VERSION)) {
        panda_error_set (err, PANDA_ERR_INVALID, "\"version\" must be %d", PANDA_OPERATION_VERSION);
        return NULL;
    }
    if (s_parse_action (json, &action, err))
        return NULL;
    const char *schema_id = json_string_value (json_object_get (json, "schemaId"));
    if (!schema_id) {
        panda_error_set (err, PANDA_ERR_INVALID, "\"schemaId\" must be a string");
        return NULL;
    }
    const json_t *prev_json = json_object_get (json, "previous");
    if (prev_json && s_hash_array (prev_json, action != PANDA_ACTION_CREATE, &previous, &n_previous, err)) {
        panda_error_prefix (err, "\"previous\": ");
        return NULL;
    }
    op = panda_operation_new (action, schema_id, previous, n_previous, err);
    free (previous);
    if (!op)
        return NULL;
    const json_t *fields = json_object_get (json, "fields");
    if (action == PANDA_ACTION_DELETE && fields && json_object_size (fields)) {
        panda_error_set (err, PANDA_ERR_INVALID, "a DELETE operation has no fields");
        goto fail;
    }
    if (action == PANDA_ACTION_CREATE && !fields) {
        panda_error_set (err, PANDA_ERR_INVALID, "missing fields for this operation action");
        goto fail;
    }
    if (action != PANDA_ACTION_DELETE && fields && s_set_fields (op, fields, err))
        goto fail;
    return op;
fail:
    panda_operation_destroy (&op);
    return NULL;
}

panda_operation_t *
panda_operation_from_json_text (const char *text, size_t len, panda_error_t *err)
{
    json_error_t jerr;
    json_t *json = json_loadb (text, len, JSON_REJECT_DUPLICATES, &jerr);
    //  JavaScript prints large integral floats without a fraction or exponent
    //  ("1e21" as 1000000000000000000000): jansson refuses such integers, so
    //  read every number as a real then (ints travel as decimal strings).
    if (!json && json_error_code (&jerr) == json_error_numeric_overflow)
        json = json_loadb (text, len, JSON_REJECT_DUPLICATES | JSON_DECODE_INT_AS_REAL, &jerr);
    if (!json) {
        panda_error_set (err, PANDA_ERR_INVALID, "invalid JSON at line %d column %d: %s", jerr.line,
                         jerr.column, jerr.text);
        return NULL;
    }
    panda_operation_t *op = panda_operation_from_json (json, err);
    json_decref (json);
    return op;
}

//  ---------------------------------------------------------------------------
//  Output

static json_t *
s_hashes_json (const panda_hash_t *items, size_t count)
{
    json_t *array = json_array ();
    for (size_t i = 0; array && i < count; i++) {
        char hex[PANDA_HASH_HEX_SIZE + 1];
        if (json_array_append_new (array, json_string (panda_hash_to_hex (&items[i], hex)))) {
            json_decref (array);
            return NULL;
        }
    }
    return array;
}

static json_t *
s_plain_value (const panda_value_t *v, const char **kind)
{
    char buf[32];
    switch (v->kind) {
        case PANDA_VALUE_BOOL: *kind = "bool"; return json_boolean (v->as.boolean);
        case PANDA_VALUE_INT:
            *kind = "int";
            snprintf (buf, sizeof buf, "%" PRId64, v->as.integer);
            return json_string (buf);
        case PANDA_VALUE_FLOAT:
            *kind = "float";
            return v->as.real - v->as.real == 0 ? json_real (v->as.real) : json_null ();
        case PANDA_VALUE_STR:
            *kind = "text";
            return json_stringn ((const char *) v->as.bytes.data, v->as.bytes.len);
        case PANDA_VALUE_BYTES: {
            *kind = "bytes";
            char *hex = panda_hex_encode (v->as.bytes.data, v->as.bytes.len);
            json_t *json = hex ? json_string (hex) : NULL;
            free (hex);
            return json;
        }
        case PANDA_VALUE_HASH_LIST:
            *kind = "hash_list";
            return s_hashes_json (v->as.list.items, v->as.list.count);
        case PANDA_VALUE_HASH_LIST_LIST: {
            *kind = "hash_list_list";
            json_t *array = json_array ();
            for (size_t i = 0; array && i < v->as.lists.count; i++)
                if (json_array_append_new (
                        array, s_hashes_json (v->as.lists.lists[i].items, v->as.lists.lists[i].count))) {
                    json_decref (array);
                    return NULL;
                }
            return array;
        }
    }
    return NULL;
}

json_t *
panda_operation_json_value_to_plain (const panda_value_t *value)
{
    const char *kind = NULL;
    json_t *inner = s_plain_value (value, &kind);
    if (!inner)
        return NULL;
    json_t *json = json_pack ("{s:s, s:o}", "kind", kind, "value", inner);
    if (json && value->kind == PANDA_VALUE_FLOAT) {
        char bits_hex[S_F64_BITS_HEX + 1];
        uint64_t bits;
        memcpy (&bits, &value->as.real, sizeof bits);
        snprintf (bits_hex, sizeof bits_hex, "%016" PRIx64, bits);
        if (json_object_set_new (json, "f64_bits", json_string (bits_hex))) {
            json_decref (json);
            return NULL;
        }
    }
    return json;
}

json_t *
panda_operation_to_json (const panda_operation_t *self)
{
    panda_action_t action = panda_operation_action (self);
    json_t *json = json_pack ("{s:i, s:s, s:s}", "version", PANDA_OPERATION_VERSION, "action",
                              panda_action_name (action), "schemaId", panda_operation_schema_id (self));
    if (!json)
        return NULL;
    if (action != PANDA_ACTION_CREATE) {
        size_t n;
        const panda_hash_t *previous = panda_operation_previous (self, &n);
        if (json_object_set_new (json, "previous", s_hashes_json (previous, n)))
            goto fail;
    }
    if (action != PANDA_ACTION_DELETE) {
        json_t *fields = json_object ();
        if (json_object_set_new (json, "fields", fields))
            goto fail;
        for (size_t i = 0; i < panda_operation_field_count (self); i++)
            if (json_object_set_new (
                    fields, panda_operation_field_name (self, i),
                    panda_operation_json_value_to_plain (panda_operation_field_value (self, i))))
                goto fail;
    }
    return json;
fail:
    json_decref (json);
    return NULL;
}

char *
panda_operation_to_json_text (const panda_operation_t *self)
{
    json_t *json = panda_operation_to_json (self);
    char *text = json ? json_dumps (json, JSON_COMPACT | JSON_REAL_PRECISION (17)) : NULL;
    json_decref (json);
    return text;
}
