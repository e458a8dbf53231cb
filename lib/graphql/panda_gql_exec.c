/*  panda_gql_exec.c - executes a validated document against a schema
    through the caller's resolver table and builds the response JSON
    (node-api §2.1-2.5: operation selection, lenient variables, one error
    nulls `data` unless spec_errors is set).                                */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "panda_gql_exec_int.h"
#include "panda_json_limits.h"

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
s_error (panda_gql_exec_t *self, const char *message, int line, int column, bool with_path)
{
    json_t *e = panda_gql_error_new (message, line, column);
    if (with_path && self->spec)
        json_object_set_new (e, "path", json_deep_copy (self->path));
    json_array_append_new (self->errors, e);
    if (!self->spec)
        self->aborted = true;
}

//  End the request: data null and this one error, whatever happened before.
static void
s_fatal (panda_gql_exec_t *self, const char *message)
{
    if (!self->fatal)
        self->fatal = panda_gql_error_new (message, 0, 0);
    self->aborted = true;
}

static PANDA_NOINLINE void
s_too_expensive (panda_gql_exec_t *self, uint64_t cost)
{
    char msg[128];
    snprintf (msg, sizeof (msg),
              "Query is too expensive: cost %" PRIu64 " exceeds the limit %" PRIu64 " (graphql_max_cost)",
              cost, self->max_cost);
    s_fatal (self, msg);
}

//  True when the request must stop; asks stop_fn unless already stopped.
static bool
s_stopped (panda_gql_exec_t *self)
{
    if (self->fatal)
        return true;
    const char *why =
        self->options && self->options->stop_fn ? self->options->stop_fn (self->options->stop_ctx) : NULL;
    if (why)
        s_fatal (self, why);
    return why != NULL;
}

bool
panda_gql_call_stopped (panda_gql_call_t *call)
{
    return call->engine && s_stopped (call->engine);
}

//  Count one field resolved (a paged one runs a query: it costs more).
static bool
s_charge (panda_gql_exec_t *self, const panda_gql_fielddef_t *def)
{
    self->cost += 1 + (def && def->paged ? PANDA_GQL_PAGED_FIELD_COST : 0);
    if (self->cost > self->max_cost) {
        s_too_expensive (self, self->cost);
        return true;
    }
    return s_stopped (self);
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
//  Execution

static json_t *s_selection_set (panda_gql_exec_t *self, const panda_gql_typedef_t *type, void *handle,
                                json_t *json, const panda_gql_group_t *group, panda_gql_groups_t *fields);

static PANDA_NOINLINE void
s_null_error (panda_gql_exec_t *self, const char *parent_type, const panda_gql_fielddef_t *def,
              const panda_gql_selection_t *node)
{
    char msg[512];
    snprintf (msg, sizeof (msg), "Cannot return null for non-nullable field %s.%s.", parent_type, def->name);
    s_error (self, msg, node->line, node->column, true);
}

//  Complete a resolved value (out, or given: a JSON value) of type.
//  Returns NULL when a null reached a non-null position (spec mode): the
//  caller's nearest nullable level becomes null. fields holds the fields
//  selected below, collected at the first object. A non-null wrapper is
//  completed in the frame of its value, so the stack grows by one frame
//  of this function per list level and per object level.
static json_t *
s_complete (panda_gql_exec_t *self, const panda_gql_fielddef_t *def, const panda_gql_type_t *type,
            panda_gql_out_t *out, json_t *given, const panda_gql_group_t *group, const char *parent_type,
            panda_gql_groups_t *fields)
{
    //  inner: the null comes from a non-null below, whose error is reported.
    bool non_null = type->kind == PANDA_GQL_TYPE_NON_NULL, inner = false;
    if (non_null)
        type = type->of;
    json_t *json = out ? out->json : given, *r;
    if (self->aborted || (out && !out->json && !out->handle && !out->items) || (!out && !given) ||
        json_is_null (json))
        r = json_null ();
    else if (type->kind == PANDA_GQL_TYPE_LIST) {
        r = json_array ();
        bool items = out && out->items;
        size_t n = items ? out->count : json_array_size (json);
        for (size_t i = 0; i < n && r && !self->aborted; i++) {
            if (i % 256 == 255 && s_stopped (self))
                break;
            json_array_append_new (self->path, json_integer ((json_int_t) i));
            json_t *item = s_complete (self, def, type->of, items ? &out->items[i] : NULL,
                                       items ? NULL : json_array_get (json, i), group, parent_type, fields);
            json_array_remove (self->path, json_array_size (self->path) - 1);
            if (!item) { //  a non-null item was null: so is the list
                json_decref (r);
                r = json_null ();
                inner = true;
                break;
            }
            json_array_append_new (r, item);
        }
    } else {
        const panda_gql_typedef_t *t = panda_gql_schema_type (self->schema, type->name);
        if (out && out->type_name && t->kind == PANDA_GQL_KIND_OBJECT) {
            const panda_gql_typedef_t *concrete = panda_gql_schema_type (self->schema, out->type_name);
            if (concrete && concrete->kind == PANDA_GQL_KIND_OBJECT)
                t = concrete;
        }
        if (t->kind != PANDA_GQL_KIND_OBJECT)
            r = json ? json_incref (json) : json_null ();
        else if (!(r = s_selection_set (self, t, out ? out->handle : NULL,
                                        json_is_object (json) ? json : NULL, group, fields))) {
            inner = true;
            r = json_null ();
        }
    }
    if (non_null && r && json_is_null (r) && self->spec) {
        if (!inner && !self->aborted)
            s_null_error (self, parent_type, def, group->nodes[0]);
        json_decref (r);
        return NULL;
    }
    return r;
}

//  Coerce a field's arguments with the variables substituted. Out of line:
//  the error buffer stays out of the recursion.
static PANDA_NOINLINE json_t *
s_arguments (panda_gql_exec_t *self, const panda_gql_fielddef_t *def, const panda_gql_selection_t *node)
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

//  Call the field's resolver into out; a failure leaves out null. Out of
//  line: the call stays out of the recursion.
static PANDA_NOINLINE void
s_resolve (panda_gql_exec_t *self, const panda_gql_typedef_t *type, const panda_gql_fielddef_t *def,
           void *handle, json_t *parent_json, const panda_gql_group_t *g, json_t *args, panda_gql_out_t *out)
{
    panda_gql_call_t call = {self->schema, type->name, def->name, args,     handle,    parent_json,
                             self->user,   NULL,       g->nodes,  g->count, self->doc, self};
    int rc = 0;
    if (def->resolver_id == PANDA_GQL_RESOLVE_DEFAULT) {
        json_t *v = parent_json ? json_object_get (parent_json, def->name) : NULL;
        out->json = v ? json_incref (v) : NULL;
    } else if (def->resolver_id < 0)
        rc = panda_gql_introspect_resolve (def->resolver_id, &call, out);
    else if (self->resolvers && (size_t) def->resolver_id < self->resolvers->count &&
             self->resolvers->fns[def->resolver_id])
        rc = self->resolvers->fns[def->resolver_id](&call, out);
    else
        rc = panda_gql_call_error (&call, "No resolver for field %s.%s", type->name, def->name);
    if (rc != 0 && !self->fatal) {
        const panda_gql_selection_t *node = g->nodes[0];
        s_error (self, call.error ? call.error : "Resolver failed", node->line, node->column, true);
        s_out_release (out);
        out->json = json_null ();
    }
    free (call.error);
}

static json_t *
s_field (panda_gql_exec_t *self, const panda_gql_typedef_t *type, void *handle, json_t *parent_json,
         const panda_gql_group_t *g)
{
    const panda_gql_selection_t *node = g->nodes[0];
    const panda_gql_fielddef_t *def = strcmp (node->name, "__typename") == 0
                                          ? NULL
                                          : panda_gql_schema_field (self->schema, type, node->name);
    if (s_charge (self, def))
        return json_null ();
    if (!def)
        return json_string (type->name);
    json_t *args = s_arguments (self, def, node);
    if (!args)
        return json_null ();
    //  What the resolver gave, and the fields selected below it: one
    //  variable, so that sanitizers pad one object per frame, not two.
    struct {
        panda_gql_out_t out;
        panda_gql_groups_t fields;
    } value;
    memset (&value, 0, sizeof (value));
    s_resolve (self, type, def, handle, parent_json, g, args, &value.out);
    json_t *result = s_complete (self, def, def->type, &value.out, NULL, g, type->name, &value.fields);
    panda_gql_collect_release (&value.fields);
    s_out_release (&value.out);
    json_decref (args);
    return result;
}

//  Group the fields selected by group's nodes. Out of line: the visited
//  set stays out of the recursion.
static PANDA_NOINLINE bool
s_collect_fields (panda_gql_exec_t *self, const panda_gql_group_t *group, panda_gql_groups_t *fields)
{
    panda_gql_visited_t visited;
    memset (&visited, 0, sizeof (visited));
    for (size_t i = 0; i < group->count; i++)
        if (!panda_gql_collect (self, group->nodes[i]->selections, fields, &visited, 0))
            return false;
    fields->collected = true;
    return true;
}

//  Execute the fields selected by group's nodes (or the operation's, when
//  the group is a root pseudo-group) on one object.
static json_t *
s_selection_set (panda_gql_exec_t *self, const panda_gql_typedef_t *type, void *handle, json_t *json,
                 const panda_gql_group_t *group, panda_gql_groups_t *fields)
{
    if (!fields->collected && !s_collect_fields (self, group, fields)) {
        s_fatal (self, "out of memory");
        return NULL;
    }
    json_t *obj = json_object ();
    for (size_t i = 0; i < fields->count && obj && !self->aborted; i++) {
        json_array_append_new (self->path, json_string (fields->items[i].key));
        json_t *v = s_field (self, type, handle, json, &fields->items[i]);
        json_array_remove (self->path, json_array_size (self->path) - 1);
        if (!v) { //  a non-null child was null: this object becomes null
            json_decref (obj);
            obj = NULL;
        } else
            json_object_set_new (obj, fields->items[i].key, v);
    }
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
s_coerce_variables (panda_gql_exec_t *self, const panda_gql_definition_t *op, json_t *given)
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
s_run (panda_gql_exec_t *self, const char *operation_name, json_t *variables)
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
    const panda_gql_typedef_t *type = panda_gql_schema_root (self->schema, op->operation);
    uint64_t estimate;
    if (!panda_gql_cost_estimate (self, op, type, &estimate))
        s_fatal (self, "out of memory");
    else if (estimate > self->max_cost)
        s_too_expensive (self, estimate);
    if (self->fatal)
        return NULL;
    //  The operation's selection set, as a one-node pseudo group.
    panda_gql_selection_t root;
    memset (&root, 0, sizeof (root));
    root.selections = op->selections;
    panda_gql_group_t group = {"", {&root}, 1};
    panda_gql_groups_t fields;
    memset (&fields, 0, sizeof (fields));
    json_t *data = s_selection_set (self, type, NULL, NULL, &group, &fields);
    panda_gql_collect_release (&fields);
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
    panda_gql_exec_t self;
    memset (&self, 0, sizeof (self));
    self.schema = schema;
    self.resolvers = resolvers;
    self.options = options;
    self.user = user_ctx;
    self.spec = options && options->spec_errors;
    self.max_cost = options && options->max_cost ? options->max_cost : PANDA_GQL_DEFAULT_MAX_COST;
    json_t *errors = NULL;
    panda_gql_document_t *owned = NULL;
    if (cache)
        self.doc = panda_gql_cache_lookup (cache, schema, query_text, query_len, options, &errors);
    else {
        panda_error_t err;
        int line = 0, column = 0;
        owned = panda_gql_parse (query_text, query_len, &err, &line, &column);
        if (!owned)
            errors = json_pack ("[o]", panda_gql_error_new (err.message, line, column));
        else if ((errors = panda_gql_validate (schema, owned, options, NULL)) != NULL)
            panda_gql_document_destroy (&owned);
        self.doc = owned;
    }
    if (!self.doc)
        return s_response (NULL, errors ? errors : json_array ());
    self.errors = json_array ();
    self.path = json_array ();
    json_t *data = s_run (&self, operation_name, variables);
    if (self.fatal) { //  stopped or too expensive: only that error
        json_decref (data);
        data = NULL;
        json_array_clear (self.errors);
        json_array_append_new (self.errors, self.fatal);
    }
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
    uint32_t depth =
        options && options->max_json_depth ? options->max_json_depth : PANDA_GQL_DEFAULT_JSON_DEPTH;
    uint32_t nodes =
        options && options->max_json_nodes ? options->max_json_nodes : PANDA_GQL_DEFAULT_JSON_NODES;
    panda_error_t limit;
    if (panda_json_limits_check (body, len,
                                 depth < PANDA_GQL_MAX_JSON_DEPTH ? depth : PANDA_GQL_MAX_JSON_DEPTH, nodes,
                                 &limit) != PANDA_OK) {
        panda_error_set (err, PANDA_ERR_LIMIT, "InvalidRequest(%s)", limit.message);
        return NULL;
    }
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
