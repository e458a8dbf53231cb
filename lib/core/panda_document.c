/*  panda_document.c - document builder, reducer and views.

    The builder holds (id, borrowed operation) pairs. A build links them into
    a graph (panda_document_graph.c), optionally trims it to the ancestors of
    a view id, walks it and reduces each emitted operation last-write-wins
    (spec data-types.md §7.3). Views copy ids and borrow field names and
    values from the operations.                                             */
#include "panda/panda_document.h"
#include "panda/panda_view_id.h"
#include "panda_document_graph.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct _panda_document_builder_t {
    panda_hash_t *ids; //  input order
    const panda_operation_t **ops; //  borrowed, input order
    size_t count, capacity;
    panda_hash_t *walk; //  order of the last build attempt
    size_t walk_len;
};

typedef struct {
    const char *name; //  borrowed from the writing operation
    const panda_value_t *value; //  borrowed from the writing operation
    size_t writer; //  graph node that wrote it
} s_field_t;

struct _panda_document_view_t {
    panda_hash_t document_id;
    const char *schema_id; //  borrowed from the CREATE
    panda_hash_t *view_id;
    size_t view_id_count;
    char *view_id_str;
    panda_hash_t view_hash;
    bool deleted;
    panda_hash_t *sorted;
    size_t sorted_count;
    struct {
        const char *name;
        const panda_value_t *value;
        panda_hash_t writer;
    } * fields;
    size_t field_count;
};

//  Reducer state while walking (spec §7.3).
typedef struct {
    const panda_document_graph_t *graph;
    const panda_operation_t *const *ops; //  input order
    bool started, deleted;
    size_t create; //  node of the CREATE
    const char *schema_id;
    s_field_t *fields; //  sorted by name (strcmp = byte-wise)
    size_t field_count, field_capacity;
} s_reducer_t;

panda_document_builder_t *
panda_document_builder_new (void)
{
    return calloc (1, sizeof (panda_document_builder_t));
}

void
panda_document_builder_destroy (panda_document_builder_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    panda_document_builder_t *self = *self_p;
    free (self->ids);
    free (self->ops);
    free (self->walk);
    free (self);
    *self_p = NULL;
}

panda_err_t
panda_document_builder_add (panda_document_builder_t *self, const panda_hash_t *operation_id,
                            const panda_operation_t *operation, panda_error_t *err)
{
    if (self->count == self->capacity) {
        size_t capacity = self->capacity ? 2 * self->capacity : 16;
        panda_hash_t *ids = realloc (self->ids, capacity * sizeof (panda_hash_t));
        if (ids)
            self->ids = ids;
        const panda_operation_t **ops = realloc (self->ops, capacity * sizeof (*ops));
        if (ops)
            self->ops = ops;
        if (!ids || !ops)
            return panda_error_set (err, PANDA_ERR_NOMEM, "out of memory adding an operation to a document");
        self->capacity = capacity;
    }
    self->ids[self->count] = *operation_id;
    self->ops[self->count] = operation;
    self->count++;
    self->walk_len = 0;
    return PANDA_OK;
}

size_t
panda_document_builder_size (const panda_document_builder_t *self)
{
    return self->count;
}

const panda_hash_t *
panda_document_builder_walk (const panda_document_builder_t *self, size_t *count)
{
    *count = self->walk_len;
    return self->walk;
}

//  --------------------------------------------------------------------------
//  Reducer

static panda_err_t
s_reducer_fail (panda_error_t *err, const char *reason)
{
    return panda_error_set (err, PANDA_ERR_DOCUMENT, PANDA_DOCUMENT_REDUCER_PREFIX "%s", reason);
}

//  fields[name] := (value, writer): overwrite or insert in name order.
static panda_err_t
s_reducer_set (s_reducer_t *self, const char *name, const panda_value_t *value, size_t writer,
               panda_error_t *err)
{
    size_t lo = 0, hi = self->field_count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int rc = strcmp (self->fields[mid].name, name);
        if (rc == 0) {
            self->fields[mid] = (s_field_t){name, value, writer};
            return PANDA_OK;
        }
        if (rc < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (self->field_count == self->field_capacity) {
        size_t capacity = self->field_capacity ? 2 * self->field_capacity : 16;
        s_field_t *fields = realloc (self->fields, capacity * sizeof (s_field_t));
        if (!fields)
            return panda_error_set (err, PANDA_ERR_NOMEM, "out of memory reducing a document");
        self->fields = fields;
        self->field_capacity = capacity;
    }
    memmove (&self->fields[lo + 1], &self->fields[lo], (self->field_count - lo) * sizeof (s_field_t));
    self->fields[lo] = (s_field_t){name, value, writer};
    self->field_count++;
    return PANDA_OK;
}

static panda_err_t
s_reducer_apply_fields (s_reducer_t *self, const panda_operation_t *op, size_t node, panda_error_t *err)
{
    size_t count = panda_operation_field_count (op);
    for (size_t i = 0; i < count; i++) {
        panda_err_t rc = s_reducer_set (self, panda_operation_field_name (op, i),
                                        panda_operation_field_value (op, i), node, err);
        if (rc != PANDA_OK)
            return rc;
    }
    return PANDA_OK;
}

//  Visit callback: apply one emitted operation.
static panda_err_t
s_reducer_visit (void *arg, size_t node, panda_error_t *err)
{
    s_reducer_t *self = arg;
    const panda_operation_t *op = self->ops[self->graph->input[node]];
    panda_action_t action = panda_operation_action (op);
    if (!self->started) {
        if (action != PANDA_ACTION_CREATE)
            return s_reducer_fail (err, "The first operation of a document must be a CREATE");
        self->started = true;
        self->create = node;
        self->schema_id = panda_operation_schema_id (op);
        return s_reducer_apply_fields (self, op, node, err);
    }
    if (action == PANDA_ACTION_CREATE)
        return s_reducer_fail (err, "Cannot update an existing document with a create operation");
    if (strcmp (panda_operation_schema_id (op), self->schema_id) != 0) {
        char hex[PANDA_HASH_HEX_SIZE + 1];
        return panda_error_set (err, PANDA_ERR_DOCUMENT,
                                PANDA_DOCUMENT_REDUCER_PREFIX
                                "Operation %s does not match the documents schema",
                                panda_hash_to_hex (&self->graph->ids[node], hex));
    }
    if (self->deleted)
        return s_reducer_fail (err, "Cannot perform a commit on a deleted document");
    if (action == PANDA_ACTION_DELETE) {
        self->deleted = true;
        self->field_count = 0;
        return PANDA_OK;
    }
    return s_reducer_apply_fields (self, op, node, err);
}

//  --------------------------------------------------------------------------
//  Views

void
panda_document_view_destroy (panda_document_view_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    panda_document_view_t *self = *self_p;
    free (self->view_id);
    free (self->view_id_str);
    free (self->sorted);
    free (self->fields);
    free (self);
    *self_p = NULL;
}

//  Turn a finished walk and reduction into a view. Caller owns the result;
//  NULL on OOM.
static panda_document_view_t *
s_view_new (const s_reducer_t *reducer, const panda_document_walk_t *walk)
{
    const panda_document_graph_t *graph = reducer->graph;
    panda_document_view_t *self = calloc (1, sizeof (panda_document_view_t));
    if (!self)
        return NULL;
    self->document_id = graph->ids[reducer->create];
    self->schema_id = reducer->schema_id;
    self->deleted = reducer->deleted;
    self->view_id = malloc (walk->tips_len * sizeof (panda_hash_t));
    self->sorted = malloc (walk->sorted_len * sizeof (panda_hash_t));
    self->fields = malloc ((reducer->field_count ? reducer->field_count : 1) * sizeof (*self->fields));
    if (!self->view_id || !self->sorted || !self->fields)
        goto fail;
    for (size_t i = 0; i < walk->tips_len; i++)
        self->view_id[i] = graph->ids[walk->tips[i]];
    self->view_id_count = panda_view_id_canonicalize (self->view_id, walk->tips_len);
    self->view_id_str = panda_view_id_to_string_new (self->view_id, self->view_id_count);
    if (!self->view_id_str)
        goto fail;
    panda_view_id_hash (self->view_id, self->view_id_count, &self->view_hash);
    for (size_t i = 0; i < walk->sorted_len; i++)
        self->sorted[i] = graph->ids[walk->sorted[i]];
    self->sorted_count = walk->sorted_len;
    for (size_t i = 0; i < reducer->field_count; i++) {
        self->fields[i].name = reducer->fields[i].name;
        self->fields[i].value = reducer->fields[i].value;
        self->fields[i].writer = graph->ids[reducer->fields[i].writer];
    }
    self->field_count = reducer->field_count;
    return self;
fail:
    panda_document_view_destroy (&self);
    return NULL;
}

//  Keep the walk order of this attempt in the builder, for callers that log
//  or test how far a failed reduction got.
static panda_err_t
s_builder_keep_walk (panda_document_builder_t *self, const panda_document_graph_t *graph,
                     const panda_document_walk_t *walk, panda_error_t *err)
{
    self->walk_len = 0;
    if (walk->sorted_len == 0)
        return PANDA_OK;
    panda_hash_t *ids = realloc (self->walk, walk->sorted_len * sizeof (panda_hash_t));
    if (!ids)
        return panda_error_set (err, PANDA_ERR_NOMEM, "out of memory building a document");
    self->walk = ids;
    for (size_t i = 0; i < walk->sorted_len; i++)
        ids[i] = graph->ids[walk->sorted[i]];
    self->walk_len = walk->sorted_len;
    return PANDA_OK;
}

static panda_err_t
s_check_single_create (const panda_document_builder_t *self, panda_error_t *err)
{
    bool seen = false;
    for (size_t i = 0; i < self->count; i++) {
        if (panda_operation_action (self->ops[i]) != PANDA_ACTION_CREATE)
            continue;
        if (seen)
            return panda_error_set (err, PANDA_ERR_DOCUMENT,
                                    "multiple CREATE operations found when building operation graph");
        seen = true;
    }
    return PANDA_OK;
}

//  Build from all operations (tips NULL) or from the ancestors of tips.
static panda_err_t
s_build (panda_document_builder_t *self, const panda_hash_t *tips, size_t n_tips,
         panda_document_view_t **view_p, panda_error_t *err)
{
    *view_p = NULL;
    self->walk_len = 0;
    panda_document_graph_t graph = {0};
    panda_document_walk_t walk = {0};
    s_reducer_t reducer = {.graph = &graph, .ops = self->ops};
    bool *keep = NULL;
    panda_err_t rc = s_check_single_create (self, err);
    if (rc == PANDA_OK)
        rc = panda_document_graph_init (&graph, self->ids, self->ops, self->count, err);
    if (rc != PANDA_OK)
        return rc;
    if (tips) {
        keep = malloc (graph.count ? graph.count : 1);
        rc = keep ? panda_document_graph_ancestors (&graph, tips, n_tips, keep, err)
                  : panda_error_set (err, PANDA_ERR_NOMEM, "out of memory building a document");
        if (rc != PANDA_OK)
            goto done;
    }
    rc = panda_document_graph_walk (&graph, keep, s_reducer_visit, &reducer, &walk, err);
    panda_error_t keep_err;
    if (s_builder_keep_walk (self, &graph, &walk, &keep_err) != PANDA_OK && rc == PANDA_OK)
        rc = panda_error_set (err, PANDA_ERR_NOMEM, "%s", keep_err.message);
    if (rc != PANDA_OK)
        goto done;
    *view_p = s_view_new (&reducer, &walk);
    if (!*view_p)
        rc = panda_error_set (err, PANDA_ERR_NOMEM, "out of memory building a document view");
done:
    free (keep);
    free (reducer.fields);
    panda_document_walk_fini (&walk);
    panda_document_graph_fini (&graph);
    return rc;
}

panda_err_t
panda_document_build (panda_document_builder_t *self, panda_document_view_t **view_p, panda_error_t *err)
{
    return s_build (self, NULL, 0, view_p, err);
}

panda_err_t
panda_document_build_to_view (panda_document_builder_t *self, const panda_hash_t *view_id, size_t count,
                              panda_document_view_t **view_p, panda_error_t *err)
{
    if (count == 0) {
        *view_p = NULL;
        return panda_error_set (err, PANDA_ERR_DOCUMENT, "expected one or more operation ids");
    }
    return s_build (self, view_id, count, view_p, err);
}

const panda_hash_t *
panda_document_view_document_id (const panda_document_view_t *self)
{
    return &self->document_id;
}

const char *
panda_document_view_schema_id (const panda_document_view_t *self)
{
    return self->schema_id;
}

const panda_hash_t *
panda_document_view_id (const panda_document_view_t *self, size_t *count)
{
    *count = self->view_id_count;
    return self->view_id;
}

const char *
panda_document_view_id_str (const panda_document_view_t *self)
{
    return self->view_id_str;
}

const panda_hash_t *
panda_document_view_hash (const panda_document_view_t *self)
{
    return &self->view_hash;
}

bool
panda_document_view_deleted (const panda_document_view_t *self)
{
    return self->deleted;
}

const panda_hash_t *
panda_document_view_sorted (const panda_document_view_t *self, size_t *count)
{
    *count = self->sorted_count;
    return self->sorted;
}

size_t
panda_document_view_field_count (const panda_document_view_t *self)
{
    return self->field_count;
}

const char *
panda_document_view_field_name (const panda_document_view_t *self, size_t index)
{
    return index < self->field_count ? self->fields[index].name : NULL;
}

const panda_value_t *
panda_document_view_field_value (const panda_document_view_t *self, size_t index)
{
    return index < self->field_count ? self->fields[index].value : NULL;
}

const panda_hash_t *
panda_document_view_field_writer (const panda_document_view_t *self, size_t index)
{
    return index < self->field_count ? &self->fields[index].writer : NULL;
}

const panda_value_t *
panda_document_view_field (const panda_document_view_t *self, const char *name, const panda_hash_t **writer_p)
{
    size_t lo = 0, hi = self->field_count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int rc = strcmp (self->fields[mid].name, name);
        if (rc == 0) {
            if (writer_p)
                *writer_p = &self->fields[mid].writer;
            return self->fields[mid].value;
        }
        if (rc < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (writer_p)
        *writer_p = NULL;
    return NULL;
}
