/*  panda_gql_coerce.c - input value coercion: an argument's literal or a
    variable's JSON value checked against its input type and converted to
    JSON, shared by validation (static checks) and the executor.

    Messages follow async-graphql 5 as listed in node-api §2.3.            */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "panda_gql.h"

static json_t *s_coerce (const panda_gql_schema_t *schema, const panda_gql_type_t *type,
                         const panda_gql_value_t *lit, json_t *json, json_t *vars, char *path, int depth,
                         panda_error_t *err);

static json_t *
s_invalid (panda_error_t *err, const char *path, const char *type)
{
    panda_error_set (err, PANDA_ERR_INVALID, "Invalid value for argument \"%s\", expected type \"%s\"", path,
                     type);
    return NULL;
}

//  Out of line: the type's text buffer stays out of the recursion.
static PANDA_NOINLINE json_t *
s_invalid_type (panda_error_t *err, const char *path, const panda_gql_type_t *type)
{
    char text[256];
    return s_invalid (err, path, panda_gql_type_text (type, text, sizeof (text)));
}

json_t *
panda_gql_literal_json (const panda_gql_value_t *lit, json_t *vars)
{
    switch (lit->kind) {
        case PANDA_GQL_VAL_VARIABLE: {
            json_t *v = vars ? json_object_get (vars, lit->str) : NULL;
            return v ? json_incref (v) : json_null ();
        }
        case PANDA_GQL_VAL_INT: return json_integer (strtoll (lit->str, NULL, 10));
        case PANDA_GQL_VAL_FLOAT: return json_real (strtod (lit->str, NULL));
        case PANDA_GQL_VAL_STRING:
        case PANDA_GQL_VAL_ENUM: return json_stringn (lit->str, lit->len);
        case PANDA_GQL_VAL_BOOLEAN: return json_boolean (lit->boolean);
        case PANDA_GQL_VAL_NULL: return json_null ();
        case PANDA_GQL_VAL_LIST: {
            json_t *a = json_array ();
            for (const panda_gql_value_t *i = lit->items; a && i; i = i->next)
                json_array_append_new (a, panda_gql_literal_json (i, vars));
            return a;
        }
        case PANDA_GQL_VAL_OBJECT: {
            json_t *o = json_object ();
            for (const panda_gql_value_t *i = lit->items; o && i; i = i->next)
                json_object_set_new (o, i->field_name, panda_gql_literal_json (i, vars));
            return o;
        }
    }
    return NULL;
}

//  Leaf values: built-in scalars, custom scalars, enums.
static json_t *
s_coerce_leaf (const panda_gql_typedef_t *t, const panda_gql_value_t *lit, json_t *json, const char *path,
               panda_error_t *err)
{
    const char *n = t->name;
    if (t->kind == PANDA_GQL_KIND_ENUM) {
        //  Enum names, and strings naming a value (node-api §2.2 parity).
        const char *s =
            lit ? ((lit->kind == PANDA_GQL_VAL_ENUM || lit->kind == PANDA_GQL_VAL_STRING) ? lit->str : NULL)
                : json_string_value (json);
        if (!s)
            return s_invalid (err, path, n);
        if (!panda_gql_type_has_value (t, s)) {
            panda_error_set (
                err, PANDA_ERR_INVALID,
                "Invalid value for argument \"%s\", enumeration type \"%s\" does not contain the "
                "value \"%s\"",
                path, n, s);
            return NULL;
        }
        return json_string (s);
    }
    if (strcmp (n, "Int") == 0) {
        if (lit && lit->kind == PANDA_GQL_VAL_INT) {
            errno = 0;
            long long v = strtoll (lit->str, NULL, 10);
            return errno ? s_invalid (err, path, n) : json_integer (v);
        }
        return json_is_integer (json) ? json_incref (json) : s_invalid (err, path, n);
    }
    if (strcmp (n, "Float") == 0) {
        if (lit)
            return (lit->kind == PANDA_GQL_VAL_INT || lit->kind == PANDA_GQL_VAL_FLOAT)
                       ? json_real (strtod (lit->str, NULL))
                       : s_invalid (err, path, n);
        return json_is_number (json) ? json_real (json_number_value (json)) : s_invalid (err, path, n);
    }
    if (strcmp (n, "String") == 0 || strcmp (n, "ID") == 0) {
        bool id = n[0] == 'I';
        if (lit)
            return (lit->kind == PANDA_GQL_VAL_STRING || (id && lit->kind == PANDA_GQL_VAL_INT))
                       ? json_stringn (lit->str, lit->len)
                       : s_invalid (err, path, n);
        if (id && json_is_integer (json))
            return json_sprintf ("%" JSON_INTEGER_FORMAT, json_integer_value (json));
        return json_is_string (json) ? json_incref (json) : s_invalid (err, path, n);
    }
    if (strcmp (n, "Boolean") == 0) {
        if (lit)
            return lit->kind == PANDA_GQL_VAL_BOOLEAN ? json_boolean (lit->boolean)
                                                      : s_invalid (err, path, n);
        return json_is_boolean (json) ? json_incref (json) : s_invalid (err, path, n);
    }
    //  Custom scalar: any literal but an enum name, checked by its callback.
    if (lit && lit->kind == PANDA_GQL_VAL_ENUM)
        return s_invalid (err, path, n);
    json_t *v = lit ? panda_gql_literal_json (lit, NULL) : json_incref (json);
    if (v && t->check && !t->check (v, t->hint)) {
        json_decref (v);
        return s_invalid (err, path, n);
    }
    return v;
}

static json_t *
s_coerce_input (const panda_gql_schema_t *schema, const panda_gql_typedef_t *t, const panda_gql_value_t *lit,
                json_t *json, json_t *vars, char *path, int depth, panda_error_t *err)
{
    if (lit ? lit->kind != PANDA_GQL_VAL_OBJECT : !json_is_object (json))
        return s_invalid (err, path, t->name);
    json_t *out = json_object ();
    size_t path_len = strlen (path);
    //  Walk the given fields: literal items or JSON members.
    const panda_gql_value_t *item = lit ? lit->items : NULL;
    void *iter = lit ? NULL : json_object_iter (json);
    while (out && (item || iter)) {
        const char *key = item ? item->field_name : json_object_iter_key (iter);
        const panda_gql_argdef_t *f = panda_gql_type_input (t, key);
        if (!f) {
            panda_error_set (err, PANDA_ERR_INVALID,
                             "Invalid value for argument \"%s\", unknown field \"%s\" of type \"%s\"", path,
                             key, t->name);
            json_decref (out);
            return NULL;
        }
        snprintf (path + path_len, 256 - path_len, "%s%s", path_len ? "." : "", key);
        json_t *v = s_coerce (schema, f->type, item, item ? NULL : json_object_iter_value (iter), vars, path,
                              depth + 1, err);
        path[path_len] = 0;
        if (!v) {
            json_decref (out);
            return NULL;
        }
        json_object_set_new (out, key, v);
        if (item)
            item = item->next;
        else
            iter = json_object_iter_next (json, iter);
    }
    for (size_t i = 0; out && i < t->input_count; i++)
        if (t->inputs[i].type->kind == PANDA_GQL_TYPE_NON_NULL && !t->inputs[i].default_literal &&
            !json_object_get (out, t->inputs[i].name)) {
            panda_error_set (
                err, PANDA_ERR_INVALID,
                "Invalid value for argument \"%s\", field \"%s\" of type \"%s\" is required but not "
                "provided",
                path, t->inputs[i].name, t->name);
            json_decref (out);
            return NULL;
        }
    return out;
}

static json_t *
s_coerce (const panda_gql_schema_t *schema, const panda_gql_type_t *type, const panda_gql_value_t *lit,
          json_t *json, json_t *vars, char *path, int depth, panda_error_t *err)
{
    //  Literals are bounded by the parser and request JSON by its scan, but
    //  variables handed to panda_gql_execute directly are not.
    if (depth > PANDA_GQL_MAX_JSON_DEPTH) {
        panda_error_set (err, PANDA_ERR_LIMIT, "Invalid value for argument \"%s\", nested deeper than %d",
                         path, PANDA_GQL_MAX_JSON_DEPTH);
        return NULL;
    }
    if (lit && lit->kind == PANDA_GQL_VAL_VARIABLE) {
        if (!vars)
            return json_null (); //  static check: the value is checked at execution
        json = json_object_get (vars, lit->str);
        lit = NULL;
        if (!json)
            json = json_null (); //  borrowed singleton
    }
    bool is_null = lit ? lit->kind == PANDA_GQL_VAL_NULL : json_is_null (json);
    if (type->kind == PANDA_GQL_TYPE_NON_NULL) {
        if (is_null)
            return s_invalid_type (err, path, type);
        type = type->of;
    }
    if (is_null)
        return json_null ();
    if (type->kind == PANDA_GQL_TYPE_LIST) {
        bool many = lit ? lit->kind == PANDA_GQL_VAL_LIST : json_is_array (json);
        json_t *out = json_array ();
        if (!many) { //  a single value stands for a one-item list
            json_t *v = s_coerce (schema, type->of, lit, json, vars, path, depth, err);
            if (!v)
                json_decref (out), out = NULL;
            else
                json_array_append_new (out, v);
            return out;
        }
        const panda_gql_value_t *item = lit ? lit->items : NULL;
        for (size_t i = 0; out && (lit ? item != NULL : i < json_array_size (json)); i++) {
            json_t *v = s_coerce (schema, type->of, item, item ? NULL : json_array_get (json, i), vars, path,
                                  depth + 1, err);
            if (!v)
                json_decref (out), out = NULL;
            else
                json_array_append_new (out, v);
            if (item)
                item = item->next;
        }
        return out;
    }
    const panda_gql_typedef_t *t = panda_gql_schema_type (schema, type->name);
    if (!t)
        return s_invalid (err, path, type->name);
    if (t->kind == PANDA_GQL_KIND_INPUT)
        return s_coerce_input (schema, t, lit, json, vars, path, depth, err);
    return s_coerce_leaf (t, lit, json, path, err);
}

json_t *
panda_gql_coerce (const panda_gql_schema_t *schema, const panda_gql_type_t *type,
                  const panda_gql_value_t *literal, json_t *json, json_t *vars, const char *path,
                  panda_error_t *err)
{
    char buf[256];
    snprintf (buf, sizeof (buf), "%s", path);
    return s_coerce (schema, type, literal, json, vars, buf, 0, err);
}
