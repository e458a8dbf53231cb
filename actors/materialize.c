/*  materialize.c - the materialise actor: operations to document views.

    Storage's STORED events only wake it up: it then materialises every
    entry stored after the position recorded in the views database
    (lib/panda_materialize), in chunks of S_CHUNK entries per views
    transaction, so a lost event, a restart or a crash never loses work:
    the next wake-up (or the start) picks up from the recorded position.
    Between chunks it kicks itself through a socket, so $TERM is seen even
    during a long catch-up.

    After a chunk that recorded a new application schema has committed, it
    publishes SCHEMA [schema id] on schemas_endpoint (the api rebuilds its
    GraphQL schema; ingest and storage read the schema on first use). After
    each chunk it brings the blob files in line with the blob views
    (lib/panda_blob: complete blobs written atomically, files of gone views
    removed, unused blobs purged), a bounded amount at a time.             */
#include "panda_actors.h"

#include "panda/panda_blob.h"
#include "panda/panda_materialize.h"
#include "panda/panda_store.h"
#include "panda/panda_views.h"

#include <stdlib.h>
#include <string.h>

#define S_CHUNK 1024
//  Blob files are synced at once after a blob or piece was stored; for
//  the rest (a relating document changed: an unused blob may be purged)
//  at most this often, so a publish storm does not scan the blob views
//  after every chunk.
#define S_BLOB_SYNC_MS 1000

typedef struct {
    const panda_actor_args_t *args;
    panda_store_t *store; //  read side of the entries database
    panda_views_t *views; //  the only writer of the views database
    panda_materializer_t *materializer;
    zsock_t *events; //  SUB to storage's STORED
    zsock_t *schemas; //  PUB of SCHEMA
    zsock_t *kick_in, *kick_out; //  PAIR to itself: more work is waiting
    bool blobs_due; //  a blob entry arrived or a sync stopped at its bound
    int64_t blobs_synced; //  zclock_mono of the last blob sync
    char reason[PANDA_ERROR_MESSAGE_MAX + 256];
} s_materialize_t;

static void
s_on_schema (void *self_, const char *schema_id)
{
    s_materialize_t *self = self_;
    panda_log_info ("materialize", "schema %s is ready", schema_id);
    panda_msg_t *msg = panda_msg_new (PANDA_MSG_SCHEMA, schema_id);
    panda_actor_send (self->schemas, NULL, &msg);
}

//  A document whose operations cannot be reduced keeps its previous view
//  (document.json E1); the operator sees why.
static void
s_on_failure (void *self_, const panda_hash_t *document_id, const char *message)
{
    (void) self_;
    char hex[PANDA_HASH_HEX_SIZE + 1];
    panda_log_warn ("materialize", "document %s keeps its previous view: %s",
                    panda_hash_to_hex (document_id, hex), message);
}

//  The views part of a purge is done; the blob's entries stay in the
//  entries database (their deletion belongs to storage, the only writer).
static void
s_on_blob_purged (void *self_, const panda_hash_t *document_id, bool piece)
{
    (void) self_;
    char hex[PANDA_HASH_HEX_SIZE + 1];
    panda_log_info ("materialize", "unused %s %s purged", piece ? "blob piece" : "blob",
                    panda_hash_to_hex (document_id, hex));
}

//  Write the files of blob views that became complete, remove those of
//  views that are gone. Returns true when it stopped at its bound.
static bool
s_blobs (s_materialize_t *self)
{
    panda_blobs_report_t report;
    panda_error_t err;
    if (panda_blobs_sync (self->views, self->args->config->blobs_base_path, PANDA_BLOBS_SYNC_MAX,
                          s_on_blob_purged, self, &report, &err) != PANDA_OK) {
        panda_log_error ("materialize", "blobs: %s", err.message);
        return false;
    }
    if (report.written)
        panda_log_debug ("materialize", "%zu blob files written", report.written);
    if (report.invalid)
        panda_log_debug ("materialize", "%zu blob views get no file: %s", report.invalid, report.reason);
    return report.more;
}

//  One chunk; kicks itself when the chunk was full (more may be waiting).
static void
s_run (s_materialize_t *self)
{
    size_t done = 0;
    panda_error_t err;
    if (panda_materializer_run (self->materializer, S_CHUNK, &done, s_on_schema, self, &err) != PANDA_OK) {
        //  The chunk was rolled back; the next STORED event retries it.
        panda_log_error ("materialize", "%s", err.message);
        return;
    }
    if (done)
        panda_log_debug ("materialize", "materialised %zu entries", done);
    if (self->blobs_due || zclock_mono () - self->blobs_synced >= S_BLOB_SYNC_MS) {
        self->blobs_due = s_blobs (self);
        self->blobs_synced = zclock_mono ();
    }
    if (done == S_CHUNK || self->blobs_due)
        zstr_send (self->kick_out, "");
}

static const char *
s_fail (s_materialize_t *self, const char *what, const char *detail)
{
    snprintf (self->reason, sizeof self->reason, "%s: %s", what, detail);
    return self->reason;
}

static const char *
s_start (void *self_, zpoller_t *poller)
{
    s_materialize_t *self = self_;
    const panda_config_t *c = self->args->config;
    char *store = panda_actor_store_path (c);
    char *views = store ? panda_views_path (store) : NULL;
    panda_error_t err;
    if (!views) {
        free (store);
        return "out of memory";
    }
    self->store = panda_store_open (store, &err);
    if (self->store)
        self->views = panda_views_open (views, false, &err);
    if (self->views)
        self->materializer = panda_materializer_new (self->store, self->views, &err);
    free (views);
    free (store);
    if (!self->materializer)
        return s_fail (self, "cannot open the views database", err.message);
    panda_materializer_set_log (self->materializer, s_on_failure, self);
    if (!(self->events = zsock_new_sub (c->events_endpoint, "")))
        return "cannot connect to events_endpoint";
    if (!(self->schemas = zsock_new (ZMQ_PUB)) || zsock_bind (self->schemas, "%s", c->schemas_endpoint) < 0)
        return "cannot bind schemas_endpoint";
    char kick_in[80], kick_out[80];
    snprintf (kick_in, sizeof kick_in, "@inproc://pandad-materialize-%p", (void *) self);
    snprintf (kick_out, sizeof kick_out, ">%s", kick_in + 1);
    if (!(self->kick_in = zsock_new_pair (kick_in)) || !(self->kick_out = zsock_new_pair (kick_out)))
        return "cannot create the kick socket";
    zpoller_add (poller, self->events);
    zpoller_add (poller, self->kick_in);
    //  Catch up with what was stored while the node was down.
    self->blobs_due = true;
    zstr_send (self->kick_out, "");
    return NULL;
}

static void
s_handle (void *self_, zsock_t *which)
{
    s_materialize_t *self = self_;
    //  Every waiting event or kick asks for the same thing: take them all,
    //  then run once.
    do {
        if (which == self->events) {
            panda_msg_t *msg = panda_actor_recv (which, NULL);
            const char *schema =
                msg && panda_msg_id (msg) == PANDA_MSG_STORED ? panda_msg_str (msg, 2) : NULL;
            if (schema && strncmp (schema, "blob_", 5) == 0)
                self->blobs_due = true;
            panda_msg_destroy (&msg);
        } else {
            zmsg_t *msg = zmsg_recv (which);
            zmsg_destroy (&msg);
        }
    } while (zsock_events (which) & ZMQ_POLLIN);
    s_run (self);
}

void
panda_materialize_actor (zsock_t *pipe, void *args)
{
    s_materialize_t self = {.args = args};
    panda_actor_loop (pipe, &self, s_start, s_handle);
    zsock_destroy (&self.kick_out);
    zsock_destroy (&self.kick_in);
    zsock_destroy (&self.schemas);
    zsock_destroy (&self.events);
    panda_materializer_destroy (&self.materializer);
    panda_views_destroy (&self.views);
    panda_store_destroy (&self.store);
}
