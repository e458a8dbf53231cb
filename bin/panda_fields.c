/*  panda_fields.c - operation fields from the command line. See
    panda_fields.h. Every value is turned into the library's typed JSON
    form ({"type", "value"}, panda_operation_json.h) and encoded by it, so
    the CLI and `panda operation encode` read values the same way.         */
#include "panda_fields.h"
#include "panda_operation_json_int.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *
panda_fields_read_arg (const char *arg, size_t max, size_t *len, panda_error_t *err)
{
    if (strcmp (arg, "-") != 0 && arg[0] != '@') {
        *len = strlen (arg);
        char *copy = strdup (arg);
        if (!copy)
            panda_error_set (err, PANDA_ERR_NOMEM, "out of memory");
        return copy;
    }
    FILE *file = arg[0] == '@' ? fopen (arg + 1, "rb") : stdin;
    if (!file) {
        panda_error_set (err, PANDA_ERR_IO, "%s: %s", arg + 1, strerror (errno));
        return NULL;
    }
    size_t cap = 4096, n = 0;
    char *buf = malloc (cap + 1);
    while (buf) {
        size_t got = fread (buf + n, 1, cap - n, file);
        n += got;
        if (got == 0)
            break;
        if (n == cap) {
            char *grown = cap < max ? realloc (buf, 2 * cap + 1) : NULL;
            if (!grown) {
                free (buf);
                buf = NULL;
                panda_error_set (err, PANDA_ERR_LIMIT, "%s: more than %zu bytes", arg, max);
                break;
            }
            buf = grown;
            cap *= 2;
        }
    }
    bool failed = ferror (file);
    if (file != stdin)
        fclose (file);
    if (buf && failed) {
        free (buf);
        buf = NULL;
        panda_error_set (err, PANDA_ERR_IO, "cannot read %s", arg);
    } else if (!buf && (!err || err->code == PANDA_OK))
        panda_error_set (err, PANDA_ERR_NOMEM, "out of memory");
    if (buf) {
        buf[n] = '\0';
        *len = n;
    }
    return buf;
}

json_t *
panda_fields_collect (const panda_opt_list_t *assignments, size_t first, const char *fields_arg,
                      panda_error_t *err)
{
    json_t *values = NULL;
    if (fields_arg) {
        size_t len;
        char *text = panda_fields_read_arg (fields_arg, PANDA_FIELDS_INPUT_MAX, &len, err);
        if (!text)
            return NULL;
        json_error_t json_err;
        values = json_loadb (text, len, JSON_REJECT_DUPLICATES, &json_err);
        free (text);
        if (!json_is_object (values)) {
            json_decref (values);
            panda_error_set (err, PANDA_ERR_INVALID, "--fields: expected a JSON object of fields%s%s",
                             values ? "" : ": ", values ? "" : json_err.text);
            return NULL;
        }
    } else if (!(values = json_object ())) {
        panda_error_set (err, PANDA_ERR_NOMEM, "out of memory");
        return NULL;
    }
    for (size_t i = first; i < assignments->count; i++) {
        const char *arg = assignments->items[i];
        const char *eq = strchr (arg, '=');
        if (!eq || eq == arg) {
            json_decref (values);
            panda_error_set (err, PANDA_ERR_INVALID, "expected NAME=VALUE, not '%s'", arg);
            return NULL;
        }
        char name[PANDA_SCHEMA_FIELD_NAME_MAX + 2];
        snprintf (name, sizeof name, "%.*s", (int) (eq - arg < 65 ? eq - arg : 65), arg);
        if (json_object_get (values, name)) {
            json_decref (values);
            panda_error_set (err, PANDA_ERR_INVALID, "field '%s' given twice", name);
            return NULL;
        }
        json_object_set_new (values, name, json_string (eq + 1));
        if (!json_object_get (values, name)) {
            json_decref (values);
            panda_error_set (err, PANDA_ERR_INVALID, "field '%s': the value is not UTF-8 text", name);
            return NULL;
        }
    }
    return values;
}

static bool
s_is_typed (const json_t *value)
{
    return json_is_object (value) && json_is_string (json_object_get (value, "type"));
}

//  The TYPE of NAME=TYPE in types, or NULL.
static const char *
s_explicit_type (const panda_opt_list_t *types, const char *name)
{
    size_t len = strlen (name);
    for (size_t i = 0; types && i < types->count; i++)
        if (strncmp (types->items[i], name, len) == 0 && types->items[i][len] == '=')
            return types->items[i] + len + 1;
    return NULL;
}

bool
panda_fields_all_typed (const json_t *values, const panda_opt_list_t *types)
{
    const char *name;
    const json_t *value;
    json_object_foreach ((json_t *) values, name, value)
    {
        if (!s_is_typed (value) && !s_explicit_type (types, name))
            return false;
    }
    return true;
}

//  A string split at sep into a JSON array of strings ("" is []).
static json_t *
s_split (const char *text, char sep)
{
    json_t *array = json_array ();
    while (array && *text) {
        const char *end = strchr (text, sep);
        size_t n = end ? (size_t) (end - text) : strlen (text);
        json_array_append_new (array, json_stringn (text, n));
        text += n + (end ? 1 : 0);
        if (end && !*text)
            json_array_append_new (array, json_string (""));
    }
    return array;
}

//  A float from text: a decimal number, or NaN / inf / -inf.
static json_t *
s_float_typed (const char *text)
{
    char *end;
    errno = 0;
    double d = strtod (text, &end);
    if (!*text || *end || errno == ERANGE)
        return NULL;
    if (isfinite (d))
        return json_pack ("{s:s,s:f}", "type", "float", "value", d);
    uint64_t bits;
    memcpy (&bits, &d, sizeof bits);
    char hex[17];
    snprintf (hex, sizeof hex, "%016" PRIx64, bits);
    return json_pack ("{s:s,s:s}", "type", "float", "f64_bits", hex);
}

//  value (plain JSON, or a string from NAME=VALUE) in the typed form of kind.
static json_t *
s_typed (panda_field_kind_t kind, const json_t *value)
{
    const char *type = panda_field_kind_name (kind);
    const char *text = json_string_value (value);
    json_t *converted = NULL;
    switch (kind) {
        case PANDA_FIELD_FLOAT:
            if (text)
                return s_float_typed (text);
            break;
        case PANDA_FIELD_BOOL:
            if (text && (strcmp (text, "true") == 0 || strcmp (text, "false") == 0))
                converted = json_boolean (text[0] == 't');
            break;
        case PANDA_FIELD_RELATION_LIST:
            if (text)
                converted = s_split (text, ',');
            break;
        case PANDA_FIELD_PINNED_RELATION:
            if (text)
                converted = s_split (text, '_');
            break;
        case PANDA_FIELD_PINNED_RELATION_LIST:
            if (text || json_is_array (value)) {
                converted = text ? s_split (text, ',') : json_deep_copy (value);
                size_t i;
                json_t *item;
                json_array_foreach (converted, i, item)
                {
                    if (json_is_string (item))
                        json_array_set_new (converted, i, s_split (json_string_value (item), '_'));
                }
            }
            break;
        default: break;
    }
    if (converted)
        return json_pack ("{s:s,s:o}", "type", type, "value", converted);
    return json_pack ("{s:s,s:O}", "type", type, "value", value);
}

static char *
s_schema_fields (const panda_schema_t *schema)
{
    size_t cap = 64 + 80 * panda_schema_field_count (schema), used = 0;
    char *list = malloc (cap);
    for (size_t i = 0; list && i < panda_schema_field_count (schema); i++) {
        int n = snprintf (list + used, cap - used, "%s%s (%s)", i ? ", " : "",
                          panda_schema_field_name (schema, i), panda_schema_field_type (schema, i));
        if (n < 0 || (size_t) n >= cap - used)
            break;
        used += (size_t) n;
    }
    return list;
}

//  The typed form of one field (caller owns), or NULL with err set.
static json_t *
s_field_typed (const char *name, const json_t *value, const panda_opt_list_t *types,
               const panda_schema_t *schema, panda_error_t *err)
{
    if (s_is_typed (value))
        return json_incref ((json_t *) value);
    const char *type = s_explicit_type (types, name);
    panda_field_kind_t kind;
    size_t offset, len;
    if (type) {
        //  A relation's target does not change its encoding: "relation" will do.
        bool plain = false;
        for (int k = PANDA_FIELD_BOOL; !plain && k <= PANDA_FIELD_PINNED_RELATION_LIST; k++)
            if (strcmp (type, panda_field_kind_name ((panda_field_kind_t) k)) == 0)
                kind = (panda_field_kind_t) k, plain = true;
        if (!plain && panda_field_type_parse (type, strlen (type), &kind, &offset, &len, err)) {
            panda_error_prefix (err, "--type %s: ", name);
            return NULL;
        }
    } else if (schema && panda_schema_field_index (schema, name) >= 0)
        kind = panda_schema_field_kind (schema, (size_t) panda_schema_field_index (schema, name));
    else if (schema) {
        char *fields = s_schema_fields (schema);
        panda_error_set (err, PANDA_ERR_SCHEMA, "unknown field '%s': schema %s has the fields %s", name,
                         panda_schema_id (schema), fields ? fields : "(out of memory)");
        free (fields);
        return NULL;
    } else {
        panda_error_set (err, PANDA_ERR_INVALID, "field '%s' has no type: give --type %s=TYPE", name, name);
        return NULL;
    }
    json_t *typed = s_typed (kind, value);
    if (!typed)
        panda_error_set (err, PANDA_ERR_INVALID, "field '%s': not a valid %s value", name,
                         panda_field_kind_name (kind));
    return typed;
}

panda_err_t
panda_fields_apply (panda_operation_t *operation, const json_t *values, const panda_opt_list_t *types,
                    const panda_schema_t *schema, panda_error_t *err)
{
    const char *name;
    const json_t *value;
    json_object_foreach ((json_t *) values, name, value)
    {
        json_t *typed = s_field_typed (name, value, types, schema, err);
        if (!typed)
            return err ? err->code : PANDA_ERR_INVALID;
        panda_value_t v;
        panda_err_t rc = panda_operation_json_value_from_typed (&v, typed, err);
        json_decref (typed);
        if (rc)
            return panda_error_prefix (err, "field '%s': ", name);
        rc = panda_operation_set_field (operation, name, &v, err);
        panda_value_clear (&v);
        if (rc)
            return panda_error_prefix (err, "field '%s': ", name);
    }
    return PANDA_OK;
}
