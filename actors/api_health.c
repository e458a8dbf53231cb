/*  api_health.c - GET /health, and what the databases say about the node
    for it, for GET /metrics and for GraphQL's extensions.viewsBehind.

    The figures come from the databases, not from counters, so they are
    right whichever process runs storage and the materialiser: entries and
    documents stored (entries database), the position the views are
    materialised up to (views database) and how many entries are stored
    after it (views behind). One read connection to each, opened at the
    first use and shared under a lock: health checks and scrapes are rare.
    GraphQL requests read a cached views-behind figure, which one request
    refreshes at most every S_BEHIND_MS.

    Health is ready when the pipeline answers (a NEXT_ARGS through ingest
    and storage, whichever process runs them), both databases answer, and
    the views are at most views_behind_limit entries behind.               */
#include "api.h"

#include "panda_store.h"

#include <stdlib.h>
#include <string.h>

//  How old the cached views-behind figure may be.
#define S_BEHIND_MS 250
//  SQLite page cache of the read connection to the entries database.
#define S_CACHE_KIB 1024

struct _panda_api_health_t {
    const panda_config_t *config;
    pthread_mutex_t lock;
    panda_store_t *store; //  read side of the entries database
    panda_views_t *views; //  read-only views database
    atomic_int_fast64_t behind; //  cached, -1: unknown
    atomic_int_fast64_t behind_at; //  zclock_mono of the cached figure
};

panda_api_health_t *
panda_api_health_new (const panda_config_t *config)
{
    panda_api_health_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->config = config;
    pthread_mutex_init (&self->lock, NULL);
    atomic_init (&self->behind, -1);
    atomic_init (&self->behind_at, 0);
    return self;
}

void
panda_api_health_destroy (panda_api_health_t **self_p)
{
    panda_api_health_t *self = *self_p;
    if (!self)
        return;
    panda_store_destroy (&self->store);
    panda_views_destroy (&self->views);
    pthread_mutex_destroy (&self->lock);
    free (self);
    *self_p = NULL;
}

//  Under the lock: open what is not open yet (with a small page cache:
//  these connections only count), then read the views' position and how
//  many entries are stored after it, and with counts the row counts too.
//  A connection that failed is closed, so the next call opens it again.
static bool
s_read (panda_api_health_t *self, panda_api_figures_t *out, bool counts)
{
    panda_error_t err;
    panda_error_clear (&err);
    if (!self->store) {
        char *path = panda_actor_store_path (self->config);
        self->store = path ? panda_store_open (path, &err) : NULL;
        if (self->store && panda_store_set_cache_size (self->store, S_CACHE_KIB, &err) != PANDA_OK)
            panda_store_destroy (&self->store);
        if (!path)
            panda_error_set (&err, PANDA_ERR_NOMEM, "out of memory");
        free (path);
    }
    if (self->store && !self->views) {
        char *path = panda_actor_views_path (self->config);
        self->views = path ? panda_views_open (path, true, &err) : NULL;
        if (!path)
            panda_error_set (&err, PANDA_ERR_NOMEM, "out of memory");
        free (path);
    }
    panda_store_counts_t rows = {0};
    bool ok = self->store && self->views &&
              panda_views_position (self->views, &out->position, &err) == PANDA_OK &&
              panda_store_count_since (self->store, out->position, &out->behind, &err) == PANDA_OK &&
              (!counts || panda_store_counts (self->store, &rows, &err) == PANDA_OK);
    if (ok) {
        out->entries = rows.entries;
        out->documents = rows.documents;
        out->database_error[0] = '\0';
        atomic_store (&self->behind, out->behind);
        atomic_store (&self->behind_at, zclock_mono ());
    } else {
        snprintf (out->database_error, sizeof out->database_error, "%s", err.message);
        panda_store_destroy (&self->store);
        panda_views_destroy (&self->views);
    }
    return ok;
}

bool
panda_api_health_figures (panda_api_health_t *self, panda_api_figures_t *out)
{
    *out = (panda_api_figures_t){0};
    pthread_mutex_lock (&self->lock);
    bool ok = s_read (self, out, true);
    pthread_mutex_unlock (&self->lock);
    return ok;
}

int64_t
panda_api_views_behind (panda_api_health_t *self)
{
    int64_t now = zclock_mono ();
    if (now - atomic_load (&self->behind_at) >= S_BEHIND_MS && pthread_mutex_trylock (&self->lock) == 0) {
        //  Another request refreshing it meanwhile goes on with the old one.
        if (now - atomic_load (&self->behind_at) >= S_BEHIND_MS) {
            panda_api_figures_t figures;
            if (!s_read (self, &figures, false)) {
                atomic_store (&self->behind, -1);
                atomic_store (&self->behind_at, now);
            }
        }
        pthread_mutex_unlock (&self->lock);
    }
    return atomic_load (&self->behind);
}

//  A NEXT_ARGS for a key nobody uses, through ingest and storage: it
//  answers when both run, in this process or another.
static bool
s_pipeline (panda_api_worker_t *worker, char *why, size_t size)
{
    static const uint8_t key[PANDA_PUBLIC_KEY_SIZE] = {0};
    //  As long as ingest waits for storage: a slower answer fails anyway.
    panda_api_request_begin (worker, worker->config->pipeline_timeout_ms);
    panda_msg_t *request = panda_msg_next_args_new (++worker->next_req, key, sizeof key, NULL, 0);
    panda_error_t err;
    panda_msg_t *reply = request ? panda_api_call (worker, &request, &err) : NULL;
    worker->in_request = false;
    bool ok = reply && panda_msg_id (reply) == PANDA_MSG_ARGS;
    if (!ok)
        snprintf (why, size, "%s", !request ? "out of memory" : reply ? "unexpected answer" : err.message);
    panda_msg_destroy (&reply);
    return ok;
}

int
panda_api_health (struct mg_connection *conn, panda_api_t *api, panda_api_worker_t *worker)
{
    panda_api_figures_t figures;
    bool database = panda_api_health_figures (api->health, &figures);
    char pipeline_why[PANDA_ERROR_MESSAGE_MAX] = "";
    bool pipeline = worker && s_pipeline (worker, pipeline_why, sizeof pipeline_why);
    if (!worker)
        snprintf (pipeline_why, sizeof pipeline_why, "no worker state");
    bool stopping = panda_api_guard_stopping (api->guard);
    uint32_t limit = api->config->views_behind_limit;
    bool caught_up = database && figures.behind <= (int64_t) limit;
    bool ready = database && pipeline && caught_up && !stopping;
    json_t *root = json_pack (
        "{s:b, s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:I}", "ready", ready, "status",
        stopping                 ? "stopping"
        : !database || !pipeline ? "failing"
        : !caught_up             ? "catching up"
                                 : "ok",
        "database", database ? "ok" : figures.database_error, "pipeline", pipeline ? "ok" : pipeline_why,
        "entries", (json_int_t) figures.entries, "documents", (json_int_t) figures.documents,
        "materialised_position", (json_int_t) figures.position, "views_behind",
        (json_int_t) (database ? figures.behind : -1), "views_behind_limit", (json_int_t) limit);
    char *text = root ? json_dumps (root, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref (root);
    int status = !text ? 500 : ready ? 200 : 503;
    panda_api_respond (conn, status, "application/json", text ? text : "", text ? strlen (text) : 0,
                       "Cache-Control: no-store\r\n");
    free (text);
    return status;
}
