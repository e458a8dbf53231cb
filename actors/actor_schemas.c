/*  actor_schemas.c - the schemas ingest and storage check publishes
    against: system schemas, and application schemas read from the views
    database on first use and then kept.                                  */
#include "panda_actors.h"

#include "panda_views.h"

#include <stdlib.h>
#include <string.h>

struct _panda_actor_schemas_t {
    const panda_config_t *config;
    panda_views_t *views; //  read-only, opened on the first miss
    zhashx_t *known; //  schema id -> panda_schema_t (owned)
};

static void
s_schema_free (void **item)
{
    panda_schema_destroy ((panda_schema_t **) item);
}

panda_actor_schemas_t *
panda_actor_schemas_new (const panda_config_t *config)
{
    panda_actor_schemas_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->config = config;
    self->known = zhashx_new ();
    if (!self->known) {
        free (self);
        return NULL;
    }
    zhashx_set_destructor (self->known, s_schema_free);
    return self;
}

void
panda_actor_schemas_destroy (panda_actor_schemas_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    panda_actor_schemas_t *self = *self_p;
    zhashx_destroy (&self->known);
    panda_views_destroy (&self->views);
    free (self);
    *self_p = NULL;
}

bool
panda_actor_schema_allowed (const panda_config_t *config, const char *schema_id)
{
    if (config->allow_all_schema_ids)
        return true;
    for (size_t i = 0; i < config->allow_schema_ids.count; i++)
        if (strcmp (config->allow_schema_ids.items[i], schema_id) == 0)
            return true;
    return false;
}

//  The materialiser creates the views database; until it has, there is
//  nothing to find and the open is tried again at the next miss.
static panda_views_t *
s_views (panda_actor_schemas_t *self)
{
    if (self->views)
        return self->views;
    char *path = panda_actor_views_path (self->config);
    panda_error_t err;
    if (path)
        self->views = panda_views_open (path, true, &err);
    free (path);
    return self->views;
}

const panda_schema_t *
panda_actor_schemas_find (void *self_, const char *schema_id)
{
    panda_actor_schemas_t *self = self_;
    if (!panda_actor_schema_allowed (self->config, schema_id))
        return NULL;
    const panda_schema_t *system = panda_schema_system (schema_id);
    if (system)
        return system;
    panda_schema_t *schema = zhashx_lookup (self->known, schema_id);
    if (schema)
        return schema;
    panda_views_t *views = s_views (self);
    panda_error_t err;
    if (!views || panda_views_schema_find (views, schema_id, &schema, &err) != PANDA_OK) {
        if (views)
            panda_log_warn ("schemas", "cannot read schema %s: %s", schema_id, err.message);
        return NULL;
    }
    if (schema && zhashx_insert (self->known, schema_id, schema) != 0)
        panda_schema_destroy (&schema);
    return schema;
}
