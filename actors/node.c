/*  node.c - starts and stops the actors of one node. See panda_node.h.   */
#include "panda/panda_node.h"

#include "node_events.h"
#include "panda_actors.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#define S_MAX_VERIFY 256
//  ZeroMQ's default socket limit (ZMQ_MAX_SOCKETS_DFLT); past it,
//  creating a socket fails, and CZMQ aborts.
#define S_ZMQ_DEFAULT_SOCKETS 1023
//  Sockets and descriptors of everything but the HTTP workers, with room.
#define S_OTHER_SOCKETS 128
#define S_OTHER_FILES 256
//  Descriptors one HTTP worker may hold: its connection, one accepted and
//  waiting, its pipeline socket, two read-only SQLite connections (views
//  for queries and blobs: database, WAL, shared memory) and a blob file.
#define S_FILES_PER_WORKER 10

struct _panda_node_t {
    panda_actor_args_t storage_args, materialize_args, ingest_args, api_args, replicate_args;
    panda_actor_args_t verify_args[S_MAX_VERIFY];
    zactor_t *storage, *materialize, *ingest, *api, *replicate;
    zactor_t *verify[S_MAX_VERIFY];
    unsigned workers;
    panda_metrics_t *metrics;
    int lock; //  of the database (-1 or -2: none held)
    panda_node_events_t *events;
};

static unsigned
s_workers (const panda_config_t *config)
{
    long cores = sysconf (_SC_NPROCESSORS_ONLN);
    unsigned n = config->verify_threads ? config->verify_threads : (unsigned) (cores > 0 ? cores : 1);
    return n > S_MAX_VERIFY ? S_MAX_VERIFY : n;
}

//  Every HTTP worker may open a pipeline socket, and the ZeroMQ context
//  fixes its socket limit when the first socket is made: so before any
//  actor starts, and only beyond the default (a process that already made
//  sockets and runs a default node is left alone).
static void
s_raise_limits (const panda_config_t *config, unsigned workers)
{
    size_t sockets = (size_t) config->http_threads + 4 * workers + S_OTHER_SOCKETS;
    if (sockets > S_ZMQ_DEFAULT_SOCKETS)
        zsys_set_max_sockets (sockets);
    //  Linux starts processes at 1024 descriptors (soft) while allowing
    //  many more (hard): take what the threads may need.
    struct rlimit files;
    rlim_t need = (rlim_t) config->http_threads * S_FILES_PER_WORKER + S_OTHER_FILES;
    if (getrlimit (RLIMIT_NOFILE, &files) != 0 || files.rlim_cur >= need)
        return;
    files.rlim_cur = files.rlim_max == RLIM_INFINITY || files.rlim_max >= need ? need : files.rlim_max;
    if (setrlimit (RLIMIT_NOFILE, &files) != 0 || files.rlim_cur < need)
        panda_log_warn ("node", "%u HTTP threads may need %lu file descriptors, the limit is %lu (ulimit -n)",
                        config->http_threads, (unsigned long) need, (unsigned long) files.rlim_cur);
}

//  The actor that opens a plug, as named in the actors setting.
static const char *
s_plug_actor (const panda_plug_info_t *info)
{
    return strcmp (info->actor, "api worker") == 0 ? "api" : info->actor;
}

//  With some actors in another process, every endpoint that joins an actor
//  here to one elsewhere must cross processes: inproc:// cannot. ZeroMQ
//  lets a side connect before the other binds, so the processes may start
//  in any order.
static int
s_check_endpoints (const panda_config_t *config, panda_error_t *err)
{
    static const struct {
        size_t at;
        const char *key;
    } keys[] = {
        {offsetof (panda_config_t, ingest_endpoint), "ingest_endpoint"},
        {offsetof (panda_config_t, verify_endpoint), "verify_endpoint"},
        {offsetof (panda_config_t, storage_endpoint), "storage_endpoint"},
        {offsetof (panda_config_t, replies_endpoint), "replies_endpoint"},
        {offsetof (panda_config_t, events_endpoint), "events_endpoint"},
        {offsetof (panda_config_t, schemas_endpoint), "schemas_endpoint"},
        {offsetof (panda_config_t, replication_endpoint), "replication_endpoint"},
        {offsetof (panda_config_t, notify_endpoint), "notify_endpoint"},
    };
    for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
        const char *here = NULL, *elsewhere = NULL, *endpoint = NULL;
        for (panda_plug_t p = 0; p < PANDA_PLUG_COUNT; p++) {
            const panda_plug_info_t *info = panda_actor_plug_info (p);
            if (info->endpoint != keys[k].at)
                continue;
            endpoint = panda_actor_plug_endpoint (config, p);
            if (panda_config_runs (config, s_plug_actor (info)))
                here = s_plug_actor (info);
            //  optional: a node may not replicate, nobody may subscribe
            else if (strcmp (info->actor, "replicate") != 0 && strcmp (info->actor, "node") != 0)
                elsewhere = s_plug_actor (info);
        }
        if (here && elsewhere && endpoint && strncmp (endpoint, "inproc://", 9) == 0)
            return panda_error_set (err, PANDA_ERR_INVALID,
                                    "%s is inproc:// but %s runs in another process: use ipc:// or tcp://",
                                    keys[k].key, elsewhere),
                   -1;
    }
    return 0;
}

//  mkdir -p, each missing directory 0700: the node's files hold its data
//  and key. Existing directories are left as they are. Returns 0 or -1
//  with errno set.
static int
s_make_dirs (const char *path)
{
    char buf[4096];
    if (snprintf (buf, sizeof buf, "%s", path) >= (int) sizeof buf)
        return errno = ENAMETOOLONG, -1;
    for (char *p = buf + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            if (mkdir (buf, 0700) && errno != EEXIST)
                return -1;
            *p = '/';
        }
    return mkdir (buf, 0700) && errno != EEXIST ? -1 : 0;
}

//  data_dir, blobs_base_path and the directory of the database file.
static int
s_prepare_dirs (const panda_config_t *config, panda_error_t *err)
{
    if (!config->data_dir || !config->database_url || !config->blobs_base_path)
        return panda_error_set (
                   err, PANDA_ERR_INVALID,
                   "configuration incomplete: call panda_config_load or panda_config_check first"),
               -1;
    char *database = NULL;
    if (strstr (config->database_url, ":memory:") == NULL && (database = panda_actor_store_path (config))) {
        char *slash = strrchr (database, '/');
        if (slash && slash != database)
            *slash = '\0';
        else
            free (database), database = NULL; //  in the working directory
    }
    const struct {
        const char *path, *key;
    } dirs[] = {{config->data_dir, "data_dir"},
                {config->blobs_base_path, "blobs_base_path"},
                {database, "database_url"}};
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++)
        if (dirs[i].path && s_make_dirs (dirs[i].path)) {
            panda_error_set (err, PANDA_ERR_IO, "%s: cannot create directory %s: %s", dirs[i].key,
                             dirs[i].path, strerror (errno));
            free (database);
            return -1;
        }
    free (database);
    return 0;
}

panda_node_t *
panda_node_new (const panda_config_t *config, panda_error_t *err)
{
    panda_node_t *self = calloc (1, sizeof *self);
    if (!self) {
        panda_error_set (err, PANDA_ERR_NOMEM, "out of memory");
        return NULL;
    }
    self->workers = s_workers (config);
    self->lock = -2;
    if (!(self->metrics = panda_metrics_new ())) {
        free (self);
        panda_error_set (err, PANDA_ERR_NOMEM, "out of memory");
        return NULL;
    }
    //  CZMQ would otherwise take SIGINT and SIGTERM from the application.
    zsys_handler_set (NULL);
    panda_log_filter_t filter; //  log_level, as pandad sets it (an embedding application may not)
    if (panda_log_filter_parse (config->log_level, &filter, err) != PANDA_OK)
        goto fail;
    panda_log_set_filter (&filter);
    if (s_prepare_dirs (config, err) || s_check_endpoints (config, err))
        goto fail;
    if (!(self->events = panda_node_events_new (config))) {
        panda_error_set (err, PANDA_ERR_NOMEM, "out of memory");
        goto fail;
    }
    //  Only the writers of the database hold its lock: a process of verify
    //  workers or of the api alone may run beside them.
    bool storage = panda_config_runs (config, "storage"),
         materialize = panda_config_runs (config, "materialize");
    if ((storage || materialize) && (self->lock = panda_actor_lock_database (config, err)) == -1)
        goto fail;
    s_raise_limits (config, self->workers);
    self->storage_args = (panda_actor_args_t){.config = config, .metrics = self->metrics};
    if (storage &&
        !(self->storage = panda_actor_start (panda_storage_actor, &self->storage_args, "storage", err)))
        goto fail;
    //  Before the api: the views database exists when the api loads its
    //  schemas, and catching up with stored entries starts at once.
    self->materialize_args = (panda_actor_args_t){.config = config, .metrics = self->metrics};
    if (materialize && !(self->materialize = panda_actor_start (panda_materialize_actor,
                                                                &self->materialize_args, "materialize", err)))
        goto fail;
    for (unsigned i = 0; panda_config_runs (config, "verify") && i < self->workers; i++) {
        self->verify_args[i] = (panda_actor_args_t){.config = config, .index = i, .metrics = self->metrics};
        if (!(self->verify[i] = panda_actor_start (panda_verify_actor, &self->verify_args[i], "verify", err)))
            goto fail;
    }
    self->ingest_args =
        (panda_actor_args_t){.config = config, .workers = self->workers, .metrics = self->metrics};
    if (panda_config_runs (config, "ingest") &&
        !(self->ingest = panda_actor_start (panda_ingest_actor, &self->ingest_args, "ingest", err)))
        goto fail;
    //  Replication reads both databases (the views one exists now) and
    //  feeds ingest like the api does.
    self->replicate_args = (panda_actor_args_t){.config = config, .metrics = self->metrics};
    if (panda_config_runs (config, "replicate") &&
        !(self->replicate =
              panda_actor_start (panda_replicate_actor, &self->replicate_args, "replicate", err)))
        goto fail;
    //  The app's schemas are stored before the api answers anyone.
    if (panda_node_migrate (config, err))
        goto fail;
    self->api_args = (panda_actor_args_t){.config = config, .metrics = self->metrics};
    if (panda_config_runs (config, "api") &&
        !(self->api = panda_actor_start (panda_api_actor, &self->api_args, "api", err)))
        goto fail;
    return self;
fail:
    panda_node_destroy (&self);
    return NULL;
}

void
panda_node_destroy (panda_node_t **self_p)
{
    panda_node_t *self = *self_p;
    if (!self)
        return;
    panda_node_events_destroy (&self->events); //  no callback runs during the stop
    zactor_destroy (&self->api);
    zactor_destroy (&self->replicate);
    zactor_destroy (&self->ingest);
    for (unsigned i = 0; i < self->workers; i++)
        zactor_destroy (&self->verify[i]);
    zactor_destroy (&self->materialize);
    zactor_destroy (&self->storage);
    if (self->lock >= 0)
        close (self->lock);
    panda_metrics_destroy (&self->metrics);
    free (self);
    *self_p = NULL;
}

int
panda_node_http_port (const panda_node_t *self)
{
    return self->api_args.port;
}

unsigned
panda_node_verify_workers (const panda_node_t *self)
{
    return self->workers;
}

const char *
panda_node_peer_id (const panda_node_t *self)
{
    return self->replicate ? self->replicate_args.peer_id : NULL;
}

int
panda_node_node_port (const panda_node_t *self)
{
    return self->replicate ? self->replicate_args.node_port : 0;
}

const char *
panda_node_discovery (const panda_node_t *self)
{
    return self->replicate ? self->replicate_args.discovery : NULL;
}

panda_node_subscription_t *
panda_node_subscribe (panda_node_t *self, unsigned kinds, panda_node_event_fn *fn, void *arg,
                      panda_error_t *err)
{
    return panda_node_events_subscribe (self->events, kinds, fn, arg, err);
}
