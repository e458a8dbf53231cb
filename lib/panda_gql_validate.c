/*  panda_gql_validate.c - the validation rules a client notices, and input
    value coercion (shared with the executor).

    Messages follow async-graphql 5 as listed in node-api §2.3. Variable
    types are deliberately not checked against argument types (node-api
    §2.2): the executor checks variable values instead.                    */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "panda/panda_gql.h"

// ---------------------------------------------------------------------------
//  Input coercion

static json_t *s_coerce (const panda_gql_schema_t *schema, const panda_gql_type_t *type,
                         const panda_gql_value_t *lit, json_t *json, json_t *vars, char *path,
                         panda_error_t *err);

static json_t *
s_invalid (panda_error_t *err, const char *path, const char *type)
{
    panda_error_set (err, PANDA_ERR_INVALID, "Invalid value for argument \"%s\", expected type \"%s\"", path,
                     type);
    return NULL;
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
                json_t *json, json_t *vars, char *path, panda_error_t *err)
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
        json_t *v =
            s_coerce (schema, f->type, item, item ? NULL : json_object_iter_value (iter), vars, path, err);
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
          json_t *json, json_t *vars, char *path, panda_error_t *err)
{
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
        if (is_null) {
            char text[256];
            return s_invalid (err, path, panda_gql_type_text (type, text, sizeof (text)));
        }
        type = type->of;
    }
    if (is_null)
        return json_null ();
    if (type->kind == PANDA_GQL_TYPE_LIST) {
        bool many = lit ? lit->kind == PANDA_GQL_VAL_LIST : json_is_array (json);
        json_t *out = json_array ();
        if (!many) { //  a single value stands for a one-item list
            json_t *v = s_coerce (schema, type->of, lit, json, vars, path, err);
            if (!v)
                json_decref (out), out = NULL;
            else
                json_array_append_new (out, v);
            return out;
        }
        const panda_gql_value_t *item = lit ? lit->items : NULL;
        for (size_t i = 0; out && (lit ? item != NULL : i < json_array_size (json)); i++) {
            json_t *v =
                s_coerce (schema, type->of, item, item ? NULL : json_array_get (json, i), vars, path, err);
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
        return s_coerce_input (schema, t, lit, json, vars, path, err);
    return s_coerce_leaf (t, lit, json, path, err);
}

json_t *
panda_gql_coerce (const panda_gql_schema_t *schema, const panda_gql_type_t *type,
                  const panda_gql_value_t *literal, json_t *json, json_t *vars, const char *path,
                  panda_error_t *err)
{
    char buf[256];
    snprintf (buf, sizeof (buf), "%s", path);
    return s_coerce (schema, type, literal, json, vars, buf, err);
}

// ---------------------------------------------------------------------------
//  Validation

typedef struct {
    const panda_gql_schema_t *schema;
    const panda_gql_document_t *doc;
    json_t *errors;
    //  Variables of the operation being walked.
    const panda_gql_definition_t *op;
    const panda_gql_definition_t *visited[64]; //  fragments already walked for variables
    size_t visited_count;
} s_ctx_t;

static void PANDA_PRINTF (4, 5) s_error (s_ctx_t *self, int line, int column, const char *format, ...)
{
    if (json_array_size (self->errors) >= PANDA_GQL_MAX_ERRORS)
        return;
    char msg[PANDA_ERROR_MESSAGE_MAX];
    va_list ap;
    va_start (ap, format);
    vsnprintf (msg, sizeof (msg), format, ap);
    va_end (ap);
    json_array_append_new (self->errors, panda_gql_error_new (msg, line, column));
}

static const panda_gql_definition_t *
s_fragment (const panda_gql_document_t *doc, const char *name)
{
    for (const panda_gql_definition_t *d = doc->definitions; d; d = d->next)
        if (d->kind == PANDA_GQL_DEF_FRAGMENT && strcmp (d->name, name) == 0)
            return d;
    return NULL;
}

static void
s_check_args (s_ctx_t *self, const panda_gql_fielddef_t *def, const panda_gql_argument_t *args,
              const char *field, const char *type, int line, int column)
{
    for (const panda_gql_argument_t *a = args; a; a = a->next) {
        const panda_gql_argdef_t *ad = panda_gql_field_arg (def, a->name);
        if (!ad) {
            s_error (self, a->line, a->column, "Unknown argument \"%s\" on field \"%s\" of type \"%s\".",
                     a->name, field, type);
            continue;
        }
        for (const panda_gql_argument_t *b = args; b != a; b = b->next)
            if (strcmp (b->name, a->name) == 0)
                s_error (self, a->line, a->column, "There can be only one argument named \"%s\"", a->name);
        panda_error_t err;
        json_t *v = panda_gql_coerce (self->schema, ad->type, a->value, NULL, NULL, a->name, &err);
        if (!v)
            s_error (self, a->value->line, a->value->column, "%s", err.message);
        json_decref (v);
    }
    for (size_t i = 0; i < def->arg_count; i++) {
        const panda_gql_argdef_t *ad = &def->args[i];
        if (ad->type->kind != PANDA_GQL_TYPE_NON_NULL || ad->default_literal)
            continue;
        const panda_gql_argument_t *a = args;
        while (a && strcmp (a->name, ad->name) != 0)
            a = a->next;
        if (!a)
            s_error (self, line, column,
                     "Field \"%s\" argument \"%s\" of type \"%s\" is required but not provided", field,
                     ad->name, type);
    }
}

static void
s_check_directives (s_ctx_t *self, const panda_gql_directive_t *dirs)
{
    size_t count;
    const panda_gql_fielddef_t *defs = panda_gql_schema_directives (self->schema, &count);
    for (const panda_gql_directive_t *d = dirs; d; d = d->next) {
        const panda_gql_fielddef_t *def = NULL;
        for (size_t i = 0; i < count; i++)
            if (strcmp (defs[i].name, d->name) == 0)
                def = &defs[i];
        if (!def) {
            s_error (self, d->line, d->column, "Unknown directive \"@%s\".", d->name);
            continue;
        }
        char at[64];
        snprintf (at, sizeof (at), "@%s", d->name);
        s_check_args (self, def, d->args, at, "directive", d->line, d->column);
    }
}

static void s_check_selections (s_ctx_t *self, const panda_gql_typedef_t *type,
                                const panda_gql_selection_t *sels);

static void
s_check_field (s_ctx_t *self, const panda_gql_typedef_t *type, const panda_gql_selection_t *s)
{
    if (strcmp (s->name, "__typename") == 0) {
        if (s->args)
            s_error (self, s->args->line, s->args->column,
                     "Unknown argument \"%s\" on field \"__typename\" of type \"%s\".", s->args->name,
                     type->name);
        if (s->selections)
            s_error (
                self, s->line, s->column,
                "Field \"__typename\" must not have a selection since type \"String!\" has no subfields");
        return;
    }
    const panda_gql_fielddef_t *def = panda_gql_schema_field (self->schema, type, s->name);
    if (!def) {
        s_error (self, s->line, s->column, "Unknown field \"%s\" on type \"%s\".", s->name, type->name);
        return;
    }
    s_check_args (self, def, s->args, s->name, type->name, s->line, s->column);
    const panda_gql_typedef_t *ft = panda_gql_schema_type (self->schema, panda_gql_type_name (def->type));
    char text[256];
    panda_gql_type_text (def->type, text, sizeof (text));
    if (ft->kind == PANDA_GQL_KIND_OBJECT) {
        if (!s->selections)
            s_error (self, s->line, s->column,
                     "Field \"%s\" of type \"%s\" must have a selection of subfields", s->name, text);
        else
            s_check_selections (self, ft, s->selections);
    } else if (s->selections)
        s_error (self, s->line, s->column,
                 "Field \"%s\" must not have a selection since type \"%s\" has no subfields", s->name, text);
}

static void
s_check_selections (s_ctx_t *self, const panda_gql_typedef_t *type, const panda_gql_selection_t *sels)
{
    for (const panda_gql_selection_t *s = sels; s; s = s->next) {
        s_check_directives (self, s->directives);
        if (s->kind == PANDA_GQL_SEL_FIELD)
            s_check_field (self, type, s);
        else if (s->kind == PANDA_GQL_SEL_SPREAD) {
            const panda_gql_definition_t *f = s_fragment (self->doc, s->name);
            if (!f)
                s_error (self, s->line, s->column, "Unknown fragment \"%s\".", s->name);
            else if (strcmp (f->type_condition, type->name) != 0 &&
                     panda_gql_schema_type (self->schema, f->type_condition))
                s_error (
                    self, s->line, s->column,
                    "Fragment \"%s\" cannot be spread here as objects of type \"%s\" can never be of type "
                    "\"%s\".",
                    s->name, type->name, f->type_condition);
        } else {
            const panda_gql_typedef_t *cond = type;
            if (s->type_condition) {
                cond = panda_gql_schema_type (self->schema, s->type_condition);
                if (!cond) {
                    s_error (self, s->line, s->column, "Unknown type \"%s\".", s->type_condition);
                    continue;
                }
                if (cond != type) {
                    s_error (self, s->line, s->column,
                             "Fragment cannot be spread here as objects of type \"%s\" can never be of type "
                             "\"%s\".",
                             type->name, cond->name);
                    continue;
                }
            }
            s_check_selections (self, cond, s->selections);
        }
    }
}

//  Fragment spread cycles: depth-first from each fragment.
static bool
s_spreads_reach (s_ctx_t *self, const panda_gql_selection_t *sels, const char *target, int depth)
{
    if (depth > PANDA_GQL_MAX_DEPTH)
        return true; //  deeper than any legal document: treat as a cycle
    for (const panda_gql_selection_t *s = sels; s; s = s->next) {
        if (s->kind == PANDA_GQL_SEL_SPREAD) {
            if (strcmp (s->name, target) == 0)
                return true;
            const panda_gql_definition_t *f = s_fragment (self->doc, s->name);
            if (f && s_spreads_reach (self, f->selections, target, depth + 1))
                return true;
        } else if (s->selections && s_spreads_reach (self, s->selections, target, depth + 1))
            return true;
    }
    return false;
}

//  Variables: every use must be defined by the operation, every definition used.
static void
s_use_value (s_ctx_t *self, const panda_gql_value_t *v, bool *used)
{
    if (v->kind == PANDA_GQL_VAL_VARIABLE) {
        size_t i = 0;
        const panda_gql_vardef_t *d = self->op->variables;
        while (d && strcmp (d->name, v->str) != 0)
            d = d->next, i++;
        if (d)
            used[i] = true;
        else
            s_error (self, v->line, v->column, "Variable \"$%s\" is not defined", v->str);
    }
    for (const panda_gql_value_t *i = v->items; i; i = i->next)
        s_use_value (self, i, used);
}

static void
s_use_args (s_ctx_t *self, const panda_gql_argument_t *args, bool *used)
{
    for (const panda_gql_argument_t *a = args; a; a = a->next)
        s_use_value (self, a->value, used);
}

static void
s_use_selections (s_ctx_t *self, const panda_gql_selection_t *sels, bool *used)
{
    for (const panda_gql_selection_t *s = sels; s; s = s->next) {
        for (const panda_gql_directive_t *d = s->directives; d; d = d->next)
            s_use_args (self, d->args, used);
        s_use_args (self, s->args, used);
        if (s->kind != PANDA_GQL_SEL_SPREAD) {
            s_use_selections (self, s->selections, used);
            continue;
        }
        const panda_gql_definition_t *f = s_fragment (self->doc, s->name);
        bool seen = !f;
        for (size_t i = 0; i < self->visited_count && !seen; i++)
            seen = self->visited[i] == f;
        if (seen || self->visited_count == sizeof (self->visited) / sizeof (self->visited[0]))
            continue;
        self->visited[self->visited_count++] = f;
        s_use_selections (self, f->selections, used);
    }
}

static void
s_check_variables (s_ctx_t *self, const panda_gql_definition_t *op)
{
    size_t count = 0;
    for (const panda_gql_vardef_t *d = op->variables; d; d = d->next) {
        count++;
        for (const panda_gql_vardef_t *e = op->variables; e != d; e = e->next)
            if (strcmp (e->name, d->name) == 0)
                s_error (self, d->line, d->column, "There can be only one variable named \"$%s\".", d->name);
        const panda_gql_typedef_t *t = panda_gql_schema_type (self->schema, panda_gql_type_name (d->type));
        if (!t)
            s_error (self, d->line, d->column, "Unknown type \"%s\".", panda_gql_type_name (d->type));
        else if (t->kind == PANDA_GQL_KIND_OBJECT)
            s_error (self, d->line, d->column, "Variable \"$%s\" cannot be non-input type \"%s\".", d->name,
                     t->name);
    }
    bool *used = calloc (count + 1, sizeof (bool));
    if (!used)
        return;
    self->op = op;
    self->visited_count = 0;
    for (const panda_gql_directive_t *d = op->directives; d; d = d->next)
        s_use_args (self, d->args, used);
    s_use_selections (self, op->selections, used);
    size_t i = 0;
    for (const panda_gql_vardef_t *d = op->variables; d; d = d->next, i++)
        if (!used[i])
            s_error (self, d->line, d->column, "Variable \"$%s\" is not used", d->name);
    free (used);
}

static void
s_check_operation (s_ctx_t *self, const panda_gql_definition_t *op, size_t op_count)
{
    if (!op->name && op_count > 1)
        s_error (self, op->line, op->column, "This anonymous operation must be the only defined operation.");
    for (const panda_gql_definition_t *d = self->doc->definitions; d != op && op->name; d = d->next)
        if (d->kind == PANDA_GQL_DEF_OPERATION && d->name && strcmp (d->name, op->name) == 0)
            s_error (self, op->line, op->column, "There can be only one operation named \"%s\".", op->name);
    const panda_gql_typedef_t *root = panda_gql_schema_root (self->schema, op->operation);
    if (!root) {
        s_error (self, op->line, op->column,
                 op->operation == PANDA_GQL_OP_MUTATION ? "Schema is not configured for mutations."
                                                        : "Schema is not configured for subscriptions.");
        return;
    }
    s_check_variables (self, op);
    s_check_directives (self, op->directives);
    s_check_selections (self, root, op->selections);
}

static void
s_check_fragment (s_ctx_t *self, const panda_gql_definition_t *f)
{
    for (const panda_gql_definition_t *d = self->doc->definitions; d != f; d = d->next)
        if (d->kind == PANDA_GQL_DEF_FRAGMENT && strcmp (d->name, f->name) == 0)
            s_error (self, f->line, f->column, "There can be only one fragment named \"%s\".", f->name);
    const panda_gql_typedef_t *t = panda_gql_schema_type (self->schema, f->type_condition);
    if (!t) {
        s_error (self, f->line, f->column, "Unknown type \"%s\".", f->type_condition);
        return;
    }
    if (t->kind != PANDA_GQL_KIND_OBJECT) {
        s_error (self, f->line, f->column, "Fragment \"%s\" cannot condition on non composite type \"%s\".",
                 f->name, t->name);
        return;
    }
    if (s_spreads_reach (self, f->selections, f->name, 0)) {
        s_error (self, f->line, f->column, "Cannot spread fragment \"%s\" within itself.", f->name);
        return;
    }
    bool used = false;
    for (const panda_gql_definition_t *d = self->doc->definitions; d && !used; d = d->next)
        used = d != f && s_spreads_reach (self, d->selections, f->name, 0);
    if (!used)
        s_error (self, f->line, f->column, "Fragment \"%s\" is never used.", f->name);
    s_check_directives (self, f->directives);
    s_check_selections (self, t, f->selections);
}

json_t *
panda_gql_validate (const panda_gql_schema_t *schema, const panda_gql_document_t *doc)
{
    s_ctx_t ctx;
    memset (&ctx, 0, sizeof (ctx));
    ctx.schema = schema;
    ctx.doc = doc;
    ctx.errors = json_array ();
    if (!ctx.errors)
        return NULL;
    size_t op_count = 0;
    for (const panda_gql_definition_t *d = doc->definitions; d; d = d->next)
        op_count += d->kind == PANDA_GQL_DEF_OPERATION;
    for (const panda_gql_definition_t *d = doc->definitions; d; d = d->next) {
        if (d->kind == PANDA_GQL_DEF_OPERATION)
            s_check_operation (&ctx, d, op_count);
        else
            s_check_fragment (&ctx, d);
    }
    if (json_array_size (ctx.errors) == 0)
        json_decref (ctx.errors), ctx.errors = NULL;
    return ctx.errors;
}
