/*  panda_gql_exec.c - executes a validated document against a schema
    through the caller's resolver table and builds the response JSON
    (node-api §2.1-2.5: operation selection, lenient variables, one error
    nulls `data` unless spec_errors is set).                                */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "panda/panda_gql.h"

typedef struct {
    const panda_gql_schema_t *schema;
    const panda_gql_document_t *doc;
    const panda_gql_resolvers_t *resolvers;
    void *user;
    bool spec; //  GraphQL spec errors (path, null propagation)
    bool aborted; //  parity mode: first error stops everything
    json_t *vars; //  coerced variables
    json_t *errors;
    json_t *path;
} s_exec_t;

//  One response key and the field nodes that share it.
typedef struct {
    const char *key;
    const panda_gql_selection_t *nodes[8];
    size_t count;
} s_group_t;

typedef struct {
    s_group_t *items;
    size_t count, cap;
} s_groups_t;

json_t *
panda_gql_error_new (const char *message, int line, int column)
{
    json_t *e = json_object ();
    json_object_set_new (e, "message", json_string (message));
    if (line > 0)
        json_object_set_new (e, "locations", json_pack ("[{s:i,s:i}]", "line", line, "column", column));
    return e;
}

static void
s_error (s_exec_t *self, const char *message, int line, int column, bool with_path)
{
    json_t *e = panda_gql_error_new (message, line, column);
    if (with_path && self->spec)
        json_object_set_new (e, "path", json_deep_copy (self->path));
    json_array_append_new (self->errors, e);
    if (!self->spec)
        self->aborted = true;
}

int
panda_gql_call_error (panda_gql_call_t *call, const char *format, ...)
{
    char msg[PANDA_ERROR_MESSAGE_MAX];
    va_list ap;
    va_start (ap, format);
    vsnprintf (msg, sizeof (msg), format, ap);
    va_end (ap);
    free (call->error);
    call->error = strdup (msg);
    return -1;
}

int
panda_gql_out_list (panda_gql_out_t *out, size_t count)
{
    out->items = calloc (count ? count : 1, sizeof (panda_gql_out_t));
    out->count = count;
    return out->items ? 0 : -1;
}

static void
s_out_release (panda_gql_out_t *out)
{
    json_decref (out->json);
    if (out->handle && out->free_fn)
        out->free_fn (out->handle);
    for (size_t i = 0; out->items && i < out->count; i++)
        s_out_release (&out->items[i]);
    free (out->items);
    memset (out, 0, sizeof (*out));
}

// ---------------------------------------------------------------------------
//  Field collection (@skip / @include, fragments, merging by response key)

static bool
s_included (s_exec_t *self, const panda_gql_directive_t *dirs)
{
    for (const panda_gql_directive_t *d = dirs; d; d = d->next) {
        bool skip = strcmp (d->name, "skip") == 0;
        if (!skip && strcmp (d->name, "include") != 0)
            continue;
        json_t *v = d->args ? panda_gql_literal_json (d->args->value, self->vars) : NULL;
        bool cond = json_is_true (v);
        json_decref (v);
        if (skip == cond)
            return false;
    }
    return true;
}

static bool
s_collect (s_exec_t *self, const panda_gql_selection_t *sels, s_groups_t *groups, int depth)
{
    if (depth > PANDA_GQL_MAX_DEPTH)
        return true;
    for (const panda_gql_selection_t *s = sels; s; s = s->next) {
        if (!s_included (self, s->directives))
            continue;
        if (s->kind == PANDA_GQL_SEL_INLINE) {
            if (!s_collect (self, s->selections, groups, depth + 1))
                return false;
            continue;
        }
        if (s->kind == PANDA_GQL_SEL_SPREAD) {
            for (const panda_gql_definition_t *d = self->doc->definitions; d; d = d->next)
                if (d->kind == PANDA_GQL_DEF_FRAGMENT && strcmp (d->name, s->name) == 0 &&
                    s_included (self, d->directives) && !s_collect (self, d->selections, groups, depth + 1))
                    return false;
            continue;
        }
        const char *key = s->alias ? s->alias : s->name;
        size_t i = 0;
        while (i < groups->count && strcmp (groups->items[i].key, key) != 0)
            i++;
        if (i == groups->count) {
            if (groups->count == groups->cap) {
                size_t cap = groups->cap ? groups->cap * 2 : 8;
                s_group_t *grown = realloc (groups->items, cap * sizeof (s_group_t));
                if (!grown)
                    return false;
                groups->items = grown;
                groups->cap = cap;
            }
            groups->items[groups->count].key = key;
            groups->items[groups->count++].count = 0;
        }
        s_group_t *g = &groups->items[i];
        if (g->count < sizeof (g->nodes) / sizeof (g->nodes[0]))
            g->nodes[g->count++] = s;
    }
    return true;
}

static void
s_fields_of (const panda_gql_document_t *doc, const panda_gql_selection_t *sels, panda_gql_selection_fn fn,
             void *ctx, int depth)
{
    if (depth > PANDA_GQL_MAX_DEPTH) //  validation refuses fragment cycles; bound anyway
        return;
    for (const panda_gql_selection_t *s = sels; s; s = s->next) {
        if (s->kind == PANDA_GQL_SEL_FIELD)
            fn (ctx, s);
        else if (s->kind == PANDA_GQL_SEL_INLINE)
            s_fields_of (doc, s->selections, fn, ctx, depth + 1);
        else
            for (const panda_gql_definition_t *d = doc ? doc->definitions : NULL; d; d = d->next)
                if (d->kind == PANDA_GQL_DEF_FRAGMENT && strcmp (d->name, s->name) == 0)
                    s_fields_of (doc, d->selections, fn, ctx, depth + 1);
    }
}

void
panda_gql_selection_fields (const panda_gql_document_t *doc, const panda_gql_selection_t *const *nodes,
                            size_t count, panda_gql_selection_fn fn, void *ctx)
{
    for (size_t i = 0; i < count; i++)
        s_fields_of (doc, nodes[i]->selections, fn, ctx, 0);
}

// ---------------------------------------------------------------------------
//  Execution

static json_t *s_selection_set (s_exec_t *self, const panda_gql_typedef_t *type, void *handle, json_t *json,
                                const s_group_t *group);

//  Complete a resolved value. Returns NULL when a null reached a non-null
//  position (spec mode): the caller's nearest nullable level becomes null,
//  and *bubbled tells it that the error was already reported.
static json_t *
s_complete (s_exec_t *self, const panda_gql_fielddef_t *def, const panda_gql_type_t *type,
            panda_gql_out_t *out, json_t *given, const s_group_t *group, const char *parent_type,
            bool *bubbled)
{
    const panda_gql_selection_t *node = group->nodes[0];
    if (type->kind == PANDA_GQL_TYPE_NON_NULL) {
        bool inner = false;
        json_t *r = s_complete (self, def, type->of, out, given, group, parent_type, &inner);
        if (r && json_is_null (r) && self->spec) {
            if (!inner) {
                char msg[512];
                snprintf (msg, sizeof (msg), "Cannot return null for non-nullable field %s.%s.", parent_type,
                          def->name);
                s_error (self, msg, node->line, node->column, true);
            }
            json_decref (r);
            return NULL;
        }
        return r;
    }
    json_t *json = out ? out->json : given;
    if (self->aborted || (out && !out->json && !out->handle && !out->items) || (!out && !given) ||
        json_is_null (json))
        return json_null ();
    if (type->kind == PANDA_GQL_TYPE_LIST) {
        json_t *list = json_array ();
        size_t n = out && out->items ? out->count : json_array_size (json);
        for (size_t i = 0; i < n && list; i++) {
            json_array_append_new (self->path, json_integer ((json_int_t) i));
            json_t *item =
                out && out->items
                    ? s_complete (self, def, type->of, &out->items[i], NULL, group, parent_type, bubbled)
                    : s_complete (self, def, type->of, NULL, json_array_get (json, i), group, parent_type,
                                  bubbled);
            json_array_remove (self->path, json_array_size (self->path) - 1);
            if (!item) {
                json_decref (list);
                *bubbled = true;
                return json_null ();
            }
            json_array_append_new (list, item);
        }
        return list;
    }
    const panda_gql_typedef_t *t = panda_gql_schema_type (self->schema, type->name);
    if (t->kind != PANDA_GQL_KIND_OBJECT)
        return json ? json_incref (json) : json_null ();
    if (out && out->type_name) {
        const panda_gql_typedef_t *concrete = panda_gql_schema_type (self->schema, out->type_name);
        if (concrete && concrete->kind == PANDA_GQL_KIND_OBJECT)
            t = concrete;
    }
    json_t *obj =
        s_selection_set (self, t, out ? out->handle : NULL, json_is_object (json) ? json : NULL, group);
    if (!obj) {
        *bubbled = true;
        return json_null ();
    }
    return obj;
}

//  Coerce a field's arguments with the variables substituted.
static json_t *
s_arguments (s_exec_t *self, const panda_gql_fielddef_t *def, const panda_gql_selection_t *node)
{
    json_t *args = json_object ();
    for (const panda_gql_argument_t *a = node->args; a && args; a = a->next) {
        const panda_gql_argdef_t *ad = panda_gql_field_arg (def, a->name);
        panda_error_t err;
        json_t *v =
            ad ? panda_gql_coerce (self->schema, ad->type, a->value, NULL, self->vars, a->name, &err) : NULL;
        if (!v) {
            s_error (self, ad ? err.message : "Unknown argument", a->value->line, a->value->column, true);
            json_decref (args);
            return NULL;
        }
        json_object_set_new (args, a->name, v);
    }
    return args;
}

static json_t *
s_field (s_exec_t *self, const panda_gql_typedef_t *type, void *handle, json_t *parent_json,
         const s_group_t *g)
{
    const panda_gql_selection_t *node = g->nodes[0];
    if (strcmp (node->name, "__typename") == 0)
        return json_string (type->name);
    const panda_gql_fielddef_t *def = panda_gql_schema_field (self->schema, type, node->name);
    json_t *args = s_arguments (self, def, node);
    if (!args)
        return json_null ();
    panda_gql_call_t call = {self->schema, type->name, def->name, args,     handle,   parent_json,
                             self->user,   NULL,       g->nodes,  g->count, self->doc};
    panda_gql_out_t out;
    memset (&out, 0, sizeof (out));
    int rc = 0;
    if (def->resolver_id == PANDA_GQL_RESOLVE_DEFAULT) {
        json_t *v = parent_json ? json_object_get (parent_json, def->name) : NULL;
        out.json = v ? json_incref (v) : NULL;
    } else if (def->resolver_id < 0)
        rc = panda_gql_introspect_resolve (def->resolver_id, &call, &out);
    else if (self->resolvers && (size_t) def->resolver_id < self->resolvers->count &&
             self->resolvers->fns[def->resolver_id])
        rc = self->resolvers->fns[def->resolver_id](&call, &out);
    else
        rc = panda_gql_call_error (&call, "No resolver for field %s.%s", type->name, def->name);
    json_t *result;
    if (rc != 0) {
        s_error (self, call.error ? call.error : "Resolver failed", node->line, node->column, true);
        s_out_release (&out);
        out.json = json_null ();
    }
    bool bubbled = false;
    result = s_complete (self, def, def->type, &out, NULL, g, type->name, &bubbled);
    s_out_release (&out);
    free (call.error);
    json_decref (args);
    return result;
}

//  Execute the merged selections of group (or the operation's, when the
//  group is a root pseudo-group) on one object.
static json_t *
s_selection_set (s_exec_t *self, const panda_gql_typedef_t *type, void *handle, json_t *json,
                 const s_group_t *group)
{
    s_groups_t groups = {NULL, 0, 0};
    json_t *obj = json_object ();
    for (size_t i = 0; i < group->count && obj; i++)
        if (!s_collect (self, group->nodes[i]->selections, &groups, 0))
            json_decref (obj), obj = NULL;
    for (size_t i = 0; i < groups.count && obj && !self->aborted; i++) {
        json_array_append_new (self->path, json_string (groups.items[i].key));
        json_t *v = s_field (self, type, handle, json, &groups.items[i]);
        json_array_remove (self->path, json_array_size (self->path) - 1);
        if (!v) { //  a non-null child was null: this object becomes null
            json_decref (obj);
            obj = NULL;
        } else
            json_object_set_new (obj, groups.items[i].key, v);
    }
    free (groups.items);
    return obj;
}

// ---------------------------------------------------------------------------
//  Operation selection and variables

static const panda_gql_definition_t *
s_pick_operation (const panda_gql_document_t *doc, const char *name, const char **error)
{
    const panda_gql_definition_t *found = NULL;
    size_t ops = 0;
    for (const panda_gql_definition_t *d = doc->definitions; d; d = d->next) {
        if (d->kind != PANDA_GQL_DEF_OPERATION)
            continue;
        ops++;
        if (name ? (d->name && strcmp (d->name, name) == 0) : !found)
            found = d;
    }
    if (name && !found)
        *error = "Unknown operation named";
    else if (!name && ops > 1)
        *error = "Operation name required in request.", found = NULL;
    return found;
}

static bool
s_coerce_variables (s_exec_t *self, const panda_gql_definition_t *op, json_t *given)
{
    self->vars = json_object ();
    for (const panda_gql_vardef_t *d = op->variables; d; d = d->next) {
        json_t *v = json_is_object (given) ? json_object_get (given, d->name) : NULL;
        char msg[512];
        if (v && json_is_null (v) && d->type->kind == PANDA_GQL_TYPE_NON_NULL) {
            snprintf (msg, sizeof (msg), "Variable \"$%s\" of non-null type must not be null.", d->name);
            s_error (self, msg, d->line, d->column, false);
            return false;
        }
        if (v)
            json_object_set (self->vars, d->name, v);
        else if (d->default_value)
            json_object_set_new (self->vars, d->name, panda_gql_literal_json (d->default_value, NULL));
        else if (d->type->kind != PANDA_GQL_TYPE_NON_NULL)
            json_object_set_new (self->vars, d->name, json_null ());
        else {
            snprintf (msg, sizeof (msg), "Variable %s is not defined.", d->name);
            s_error (self, msg, d->line, d->column, false);
            return false;
        }
    }
    return true;
}

static json_t *
s_response (json_t *data, json_t *errors)
{
    json_t *r = json_object ();
    json_object_set_new (r, "data", data ? data : json_null ());
    if (errors && json_array_size (errors))
        json_object_set (r, "errors", errors);
    json_decref (errors);
    return r;
}

static json_t *
s_run (s_exec_t *self, const char *operation_name, json_t *variables)
{
    const char *why = NULL;
    const panda_gql_definition_t *op = s_pick_operation (self->doc, operation_name, &why);
    if (!op) {
        char msg[512];
        if (operation_name)
            snprintf (msg, sizeof (msg), "Unknown operation named \"%s\"", operation_name);
        s_error (self, operation_name ? msg : why, 0, 0, false);
        return NULL;
    }
    if (!s_coerce_variables (self, op, variables))
        return NULL;
    //  The operation's selection set, as a one-node pseudo group.
    panda_gql_selection_t root;
    memset (&root, 0, sizeof (root));
    root.selections = op->selections;
    s_group_t group = {"", {&root}, 1};
    const panda_gql_typedef_t *type = panda_gql_schema_root (self->schema, op->operation);
    json_t *data = s_selection_set (self, type, NULL, NULL, &group);
    if (self->aborted) {
        json_decref (data);
        //  Parity: exactly one error, data null (node-api §2.4).
        while (json_array_size (self->errors) > 1)
            json_array_remove (self->errors, 1);
        return NULL;
    }
    return data;
}

json_t *
panda_gql_execute (const panda_gql_schema_t *schema, panda_gql_cache_t *cache, const char *query_text,
                   size_t query_len, const char *operation_name, json_t *variables,
                   const panda_gql_resolvers_t *resolvers, void *user_ctx, const panda_gql_options_t *options)
{
    s_exec_t self;
    memset (&self, 0, sizeof (self));
    self.schema = schema;
    self.resolvers = resolvers;
    self.user = user_ctx;
    self.spec = options && options->spec_errors;
    json_t *errors = NULL;
    panda_gql_document_t *owned = NULL;
    if (cache)
        self.doc = panda_gql_cache_lookup (cache, schema, query_text, query_len, &errors);
    else {
        panda_error_t err;
        int line = 0, column = 0;
        owned = panda_gql_parse (query_text, query_len, &err, &line, &column);
        if (!owned)
            errors = json_pack ("[o]", panda_gql_error_new (err.message, line, column));
        else if ((errors = panda_gql_validate (schema, owned)) != NULL)
            panda_gql_document_destroy (&owned);
        self.doc = owned;
    }
    if (!self.doc)
        return s_response (NULL, errors ? errors : json_array ());
    self.errors = json_array ();
    self.path = json_array ();
    json_t *data = s_run (&self, operation_name, variables);
    json_decref (self.vars);
    json_decref (self.path);
    panda_gql_document_destroy (&owned);
    return s_response (data, self.errors);
}

json_t *
panda_gql_execute_body (const panda_gql_schema_t *schema, panda_gql_cache_t *cache, const char *body,
                        size_t len, const panda_gql_resolvers_t *resolvers, void *user_ctx,
                        const panda_gql_options_t *options, panda_error_t *err)
{
    json_error_t jerr;
    json_t *req = json_loadb (body, len, JSON_DECODE_ANY, &jerr);
    if (!req) {
        panda_error_set (err, PANDA_ERR_DECODE, "InvalidRequest(%s, line: %d, column: %d)", jerr.text,
                         jerr.line, jerr.column);
        return NULL;
    }
    json_t *query = json_object_get (req, "query");
    json_t *vars = json_object_get (req, "variables");
    json_t *name = json_object_get (req, "operationName");
    const char *problem = json_is_array (req)                ? "UnsupportedBatch"
                          : !json_is_object (req)            ? "InvalidRequest(expected an object)"
                          : query && !json_is_string (query) ? "InvalidRequest(query is not a string)"
                          : vars && !json_is_object (vars) && !json_is_null (vars)
                              ? "InvalidRequest(variables is not an object)"
                          : name && !json_is_string (name) && !json_is_null (name)
                              ? "InvalidRequest(operationName is not a string)"
                              : NULL;
    if (problem) {
        panda_error_set (err, PANDA_ERR_DECODE, "%s", problem);
        json_decref (req);
        return NULL;
    }
    json_t *r = panda_gql_execute (schema, cache, query ? json_string_value (query) : "",
                                   query ? json_string_length (query) : 0, json_string_value (name), vars,
                                   resolvers, user_ctx, options);
    json_decref (req);
    return r;
}
