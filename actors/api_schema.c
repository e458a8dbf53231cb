/*  api_schema.c - snapshots of the node's GraphQL schema (node-api §5.1).

    A snapshot bundles a built GraphQL schema with copies of the p2panda
    schemas it was built from. It never changes after it is made and is
    reference-counted atomically: each request takes a reference to the
    newest one at its start and drops it at its end, so a request keeps the
    schema it was validated against while the api actor installs a newer
    one (after a SCHEMA event), and the old one is freed by whichever
    request ends last.                                                      */
#include "api.h"

#include "panda_node_schema.h"
#include "panda_views.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

struct _panda_api_snapshot_t {
    atomic_size_t refs;
    panda_gql_schema_t *gql;
    panda_schema_t **schemas; //  owned copies, in build order
    panda_schema_t **by_id; //  the same, sorted by id (lookup)
    size_t count;
};

static void
s_schemas_free (panda_schema_t **schemas, size_t count)
{
    for (size_t i = 0; schemas && i < count; i++)
        panda_schema_destroy (&schemas[i]);
    free (schemas);
}

static int
s_by_id (const void *a, const void *b)
{
    return strcmp (panda_schema_id (*(panda_schema_t *const *) a),
                   panda_schema_id (*(panda_schema_t *const *) b));
}

panda_api_snapshot_t *
panda_api_snapshot_new (panda_schema_t ***schemas_p, size_t count, panda_error_t *err)
{
    panda_schema_t **schemas = *schemas_p;
    *schemas_p = NULL;
    panda_api_snapshot_t *self = calloc (1, sizeof *self);
    if (!self || !(self->by_id = malloc ((count ? count : 1) * sizeof *self->by_id))) {
        free (self);
        s_schemas_free (schemas, count);
        panda_error_set (err, PANDA_ERR_NOMEM, "out of memory making a schema snapshot");
        return NULL;
    }
    self->schemas = schemas;
    self->count = count;
    atomic_init (&self->refs, 1);
    if (count)
        memcpy (self->by_id, schemas, count * sizeof *schemas);
    qsort (self->by_id, count, sizeof *self->by_id, s_by_id);
    self->gql = panda_node_schema_build ((const panda_schema_t *const *) schemas, count, err);
    if (!self->gql)
        panda_api_snapshot_unref (&self);
    return self;
}

panda_api_snapshot_t *
panda_api_snapshot_ref (panda_api_snapshot_t *self)
{
    if (self)
        atomic_fetch_add_explicit (&self->refs, 1, memory_order_relaxed);
    return self;
}

void
panda_api_snapshot_unref (panda_api_snapshot_t **self_p)
{
    panda_api_snapshot_t *self = self_p ? *self_p : NULL;
    if (!self)
        return;
    *self_p = NULL;
    if (atomic_fetch_sub_explicit (&self->refs, 1, memory_order_acq_rel) != 1)
        return;
    panda_gql_schema_unref (&self->gql);
    s_schemas_free (self->schemas, self->count);
    free (self->by_id);
    free (self);
}

const panda_gql_schema_t *
panda_api_snapshot_gql (const panda_api_snapshot_t *self)
{
    return self->gql;
}

const panda_schema_t *
panda_api_snapshot_schema (const panda_api_snapshot_t *self, const char *schema_id)
{
    size_t lo = 0, hi = self ? self->count : 0;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int cmp = strcmp (schema_id, panda_schema_id (self->by_id[mid]));
        if (cmp == 0)
            return self->by_id[mid];
        if (cmp < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return NULL;
}

// ---------------------------------------------------------------------------
//  Loading from the views database

//  Schemas collected for a snapshot (a growing array of owned copies).
typedef struct {
    const panda_config_t *config;
    panda_schema_t **items;
    size_t count, cap;
} s_list_t;

//  Append schema (consumed) to the list.
static panda_err_t
s_push (s_list_t *list, panda_schema_t *schema)
{
    if (list->count == list->cap) {
        size_t cap = list->cap ? list->cap * 2 : 16;
        panda_schema_t **grown = realloc (list->items, cap * sizeof *grown);
        if (!grown) {
            panda_schema_destroy (&schema);
            return PANDA_ERR_NOMEM;
        }
        list->items = grown, list->cap = cap;
    }
    list->items[list->count++] = schema;
    return PANDA_OK;
}

//  panda_views_schema_fn: keep the allowed application schemas.
static panda_err_t
s_collect (void *ctx, panda_schema_t *schema)
{
    s_list_t *list = ctx;
    if (!panda_actor_schema_allowed (list->config, panda_schema_id (schema))) {
        panda_schema_destroy (&schema);
        return PANDA_OK;
    }
    return s_push (list, schema);
}

//  Append the application schemas of the views database at path. A
//  database that cannot be read as it is (missing, or not migrated yet on
//  a fresh node) is opened read-write once, which creates it.
static panda_err_t
s_load_views (s_list_t *list, const char *path, panda_error_t *err)
{
    size_t system_count = list->count;
    panda_views_t *views = panda_views_open (path, true, err);
    panda_err_t rc = views ? panda_views_schemas (views, s_collect, list, err) : PANDA_ERR_IO;
    panda_views_destroy (&views);
    if (rc == PANDA_OK)
        return rc;
    while (list->count > system_count)
        panda_schema_destroy (&list->items[--list->count]);
    if (!(views = panda_views_open (path, false, err)))
        return PANDA_ERR_IO;
    rc = panda_views_schemas (views, s_collect, list, err);
    panda_views_destroy (&views);
    return rc;
}

panda_api_snapshot_t *
panda_api_snapshot_load (const panda_config_t *config, panda_error_t *err)
{
    static const char *const system[] = {PANDA_SCHEMA_ID_SCHEMA_DEFINITION,
                                         PANDA_SCHEMA_ID_SCHEMA_FIELD_DEFINITION, PANDA_SCHEMA_ID_BLOB,
                                         PANDA_SCHEMA_ID_BLOB_PIECE};
    s_list_t list = {.config = config};
    panda_err_t rc = PANDA_OK;
    for (size_t i = 0; rc == PANDA_OK && i < sizeof system / sizeof system[0]; i++) {
        if (!panda_actor_schema_allowed (config, system[i]))
            continue;
        panda_schema_t *copy = panda_schema_dup (panda_schema_system (system[i]));
        rc = copy ? s_push (&list, copy) : PANDA_ERR_NOMEM;
    }
    if (rc != PANDA_OK)
        panda_error_set (err, rc, "out of memory loading schemas");
    char *path = rc == PANDA_OK ? panda_actor_views_path (config) : NULL;
    if (rc == PANDA_OK && !path)
        rc = panda_error_set (err, PANDA_ERR_NOMEM, "out of memory loading schemas");
    if (rc == PANDA_OK)
        rc = s_load_views (&list, path, err);
    free (path);
    if (rc != PANDA_OK) {
        s_schemas_free (list.items, list.count);
        return NULL;
    }
    return panda_api_snapshot_new (&list.items, list.count, err);
}

// ---------------------------------------------------------------------------
//  The holder of the newest snapshot

void
panda_api_init (panda_api_t *self, const panda_config_t *config)
{
    self->config = config;
    self->current = NULL;
    pthread_mutex_init (&self->lock, NULL);
}

void
panda_api_release (panda_api_t *self)
{
    panda_api_snapshot_unref (&self->current);
    pthread_mutex_destroy (&self->lock);
}

panda_api_snapshot_t *
panda_api_snapshot_take (panda_api_t *self)
{
    pthread_mutex_lock (&self->lock);
    panda_api_snapshot_t *snapshot = panda_api_snapshot_ref (self->current);
    pthread_mutex_unlock (&self->lock);
    return snapshot;
}

void
panda_api_snapshot_install (panda_api_t *self, panda_api_snapshot_t **snapshot_p)
{
    pthread_mutex_lock (&self->lock);
    panda_api_snapshot_t *old = self->current;
    self->current = *snapshot_p;
    pthread_mutex_unlock (&self->lock);
    *snapshot_p = NULL;
    panda_api_snapshot_unref (&old); //  outside the lock: may free a schema
}

panda_err_t
panda_api_snapshot_reload (panda_api_t *self, panda_error_t *err)
{
    panda_api_snapshot_t *snapshot = panda_api_snapshot_load (self->config, err);
    if (!snapshot)
        return err ? err->code : PANDA_ERR_IO;
    panda_api_snapshot_install (self, &snapshot);
    return PANDA_OK;
}
