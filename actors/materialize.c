/*  materialize.c - the materialise actor: operations to document views.

    Storage's STORED events only wake it up: it then materialises every
    entry stored after the position recorded in the views database
    (lib/panda_materialize), in chunks of S_CHUNK entries per views
    transaction, so a lost event, a restart or a crash never loses work:
    the next wake-up (or the start) picks up from the recorded position.
    Between chunks it kicks itself through a socket, so $TERM is seen even
    during a long catch-up. While events keep coming, runs start at most
    every S_RUN_GAP_MS (a timer runs the last one), so a publish storm is
    materialised in few large transactions instead of one per commit.

    After a chunk that recorded a new application schema has committed, it
    publishes SCHEMA [schema id] on schemas_endpoint (the api rebuilds its
    GraphQL schema; ingest and storage read the schema on first use). It
    brings the blob files in line with the blob views (lib/panda_blob:
    complete blobs written atomically, files of gone views removed, unused
    blobs purged), a bounded amount at a time. The entries of purged
    documents are storage's to delete: it sends PURGE with the ids the
    views database queued, and forgets them when storage's PURGED event
    comes back (a crash in between only repeats the idempotent purge).

    Accepts:  STORED, PURGED   on SUB >events_endpoint (from storage)
    Emits:    SCHEMA           on PUB @schemas_endpoint (to the api)
              PURGE            on PUSH >storage_endpoint
              DOCUMENT         on PUB >notify_endpoint (node_events.c)
    Opens the entries database (read), the views database <db>-views (the
    only writer) and writes the files of blobs_base_path.               */
#include "panda_actors.h"

#include "panda/panda_node.h"
#include "panda_blob.h"
#include "panda_materialize.h"
#include "panda_store.h"
#include "panda_views.h"

#include <stdlib.h>
#include <string.h>

#define S_CHUNK 1024
//  Blob files are synced at once after a blob or piece was stored; for
//  the rest (a relating document changed: an unused blob may be purged)
//  at most this often, so a publish storm does not scan the blob views
//  after every chunk.
#define S_BLOB_SYNC_MS 1000
#define S_PURGE_MAX 256 //  document ids per PURGE
//  Runs start at most this often while entries keep arriving: under a
//  publish storm one views transaction then takes many entries, and
//  several updates of a document share its lookups and pages.
#define S_RUN_GAP_MS 20
//  The entries are read once, in order: a small page cache is enough, and
//  a large one would hold a copy of every big blob passing through.
#define S_STORE_CACHE_KIB 2048
//  A catch-up at start (a views database rebuilt, or behind after a
//  stop) says how far it is this often.
#define S_PROGRESS_MS 2000

typedef struct {
    const panda_actor_args_t *args;
    panda_store_t *store; //  read side of the entries database
    panda_views_t *views; //  the only writer of the views database
    panda_materializer_t *materializer;
    zsock_t *events; //  SUB to storage's STORED
    zsock_t *schemas; //  PUB of SCHEMA
    zsock_t *kick_in, *kick_out; //  PAIR to itself: more work is waiting
    zsock_t *storage; //  PUSH of PURGE
    zsock_t *notify; //  PUB of DOCUMENT, for an embedding application
    uint64_t notified; //  DOCUMENT events sent
    bool blobs_due; //  a blob entry arrived or a sync stopped at its bound
    bool blobs_stale; //  entries were materialised since the last blob sync
    int64_t blobs_synced; //  zclock_mono of the last blob sync
    bool run_due; //  entries were stored since the last run
    bool kicked; //  a kick came in the drain that is ending
    int64_t run_started; //  zclock_mono of the last run
    //  The catch-up at start, while it lasts (total 0: none)
    int64_t catchup_total, catchup_done; //  entries
    int64_t catchup_started, catchup_logged; //  zclock_mono
    char reason[PANDA_ERROR_MESSAGE_MAX + 256];
} s_materialize_t;

static void
s_on_schema (void *self_, const char *schema_id)
{
    s_materialize_t *self = self_;
    panda_log_info ("materialize", "schema %s is ready", schema_id);
    panda_msg_t *msg = panda_msg_schema_new (schema_id);
    panda_actor_send (self->schemas, NULL, &msg);
}

//  Each created, updated or deleted document: logged in aquadoggo's words
//  (its reduce task), with the schema and the author of the change, and
//  told to an embedding application (notify_endpoint).
static void
s_on_change (void *self_, const panda_materializer_change_t *change)
{
    s_materialize_t *self = self_;
    char id[PANDA_HASH_HEX_SIZE + 1], author[PANDA_PUBLIC_KEY_HEX_SIZE + 1];
    panda_hash_to_hex (&change->document_id, id);
    panda_public_key_to_hex (&change->author, author);
    if (change->change == PANDA_CHANGE_CREATED)
        panda_log_info ("materialize", "Created document %s (schema %s, author %s)", id, change->schema_id,
                        author);
    else
        panda_log_info ("materialize", "%s document %s %s view %s (schema %s, author %s)",
                        change->change == PANDA_CHANGE_DELETED ? "Deleted" : "Updated", id,
                        change->change == PANDA_CHANGE_DELETED ? "final" : "latest", change->view_id,
                        change->schema_id, author);
    static const panda_node_event_kind_t kinds[] = {[PANDA_CHANGE_CREATED] = PANDA_NODE_DOCUMENT_CREATED,
                                                    [PANDA_CHANGE_UPDATED] = PANDA_NODE_DOCUMENT_UPDATED,
                                                    [PANDA_CHANGE_DELETED] = PANDA_NODE_DOCUMENT_DELETED};
    panda_msg_t *msg = panda_msg_document_new (++self->notified, kinds[change->change], change->schema_id,
                                               change->document_id.bytes, PANDA_HASH_SIZE, change->view_id);
    panda_actor_send (self->notify, NULL, &msg);
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

//  The views part of a purge is done; storage deletes the entries.
static void
s_on_blob_purged (void *self_, const panda_hash_t *document_id, bool piece)
{
    (void) self_;
    char hex[PANDA_HASH_HEX_SIZE + 1];
    panda_log_info ("materialize", "unused %s %s purged", piece ? "blob piece" : "blob",
                    panda_hash_to_hex (document_id, hex));
}

//  Ask storage to delete the entries of purged documents. Sending a batch
//  twice is harmless: the purge is idempotent.
static void
s_send_purges (s_materialize_t *self)
{
    panda_hash_t ids[S_PURGE_MAX];
    size_t count;
    panda_error_t err;
    if (panda_blobs_purged (self->views, ids, S_PURGE_MAX, &count, &err) != PANDA_OK)
        panda_log_error ("materialize", "purged documents: %s", err.message);
    else if (count) {
        zframe_t *identity = zframe_new_empty ();
        panda_msg_t *msg = panda_msg_purge_new (ids[0].bytes, count * PANDA_HASH_SIZE);
        if (panda_actor_send (self->storage, &identity, &msg) == 0)
            panda_metrics_queued (self->args->metrics, PANDA_QUEUE_STORAGE);
    }
}

//  Storage deleted the entries of these documents.
static void
s_on_purged (s_materialize_t *self, const panda_msg_t *msg)
{
    size_t len;
    const uint8_t *ids = panda_msg_purged_ids (msg, &len);
    panda_error_t err;
    if (panda_blobs_purged_done (self->views, (const panda_hash_t *) ids, len / PANDA_HASH_SIZE, &err) !=
        PANDA_OK)
        panda_log_error ("materialize", "purged documents: %s", err.message);
    else if (len / PANDA_HASH_SIZE == S_PURGE_MAX)
        s_send_purges (self); //  a full batch: more may be queued
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
    if (report.purged)
        s_send_purges (self);
    return report.more;
}

//  How many entries wait at start; a rebuild of a big node takes minutes,
//  so the operator is told, then shown progress (s_progress).
static void
s_catchup_begin (s_materialize_t *self)
{
    int64_t position = 0, behind = 0;
    panda_error_t err;
    if (panda_views_position (self->views, &position, &err) != PANDA_OK ||
        panda_store_count_since (self->store, position, &behind, &err) != PANDA_OK) {
        panda_log_warn ("materialize", "cannot tell how far behind the views are: %s", err.message);
        return;
    }
    if (behind == 0)
        return;
    if (position == 0)
        panda_log_info ("materialize", "rebuilding the views database from %lld stored entries",
                        (long long) behind);
    else
        panda_log_info ("materialize", "%lld stored entries are not materialised yet, catching up",
                        (long long) behind);
    self->catchup_total = behind;
    self->catchup_done = 0;
    self->catchup_started = self->catchup_logged = zclock_mono ();
}

//  done more entries of the catch-up; more: the chunk was full.
static void
s_progress (s_materialize_t *self, size_t done, bool more)
{
    if (!self->catchup_total)
        return;
    self->catchup_done += (int64_t) done;
    if (self->catchup_done > self->catchup_total) //  entries stored meanwhile
        self->catchup_total = self->catchup_done;
    int64_t now = zclock_mono (), took = now - self->catchup_started;
    double rate = took > 0 ? (double) self->catchup_done * 1000.0 / (double) took : 0;
    if (!more) {
        panda_log_info ("materialize", "views caught up: %lld entries in %.1f s (%.0f entries/s)",
                        (long long) self->catchup_done, (double) took / 1000.0, rate);
        self->catchup_total = 0;
    } else if (now - self->catchup_logged >= S_PROGRESS_MS) {
        self->catchup_logged = now;
        int64_t left = self->catchup_total - self->catchup_done;
        panda_log_info ("materialize",
                        "views: %lld of %lld entries (%d%%), %.0f entries/s, about %.0f s left",
                        (long long) self->catchup_done, (long long) self->catchup_total,
                        (int) (self->catchup_done * 100 / self->catchup_total), rate,
                        rate > 0 ? (double) left / rate : 0.0);
    }
}

//  One chunk; kicks itself when the chunk was full (more may be waiting).
static void
s_run (s_materialize_t *self)
{
    self->run_due = false;
    self->run_started = zclock_mono ();
    size_t done = 0;
    panda_error_t err;
    if (panda_materializer_run (self->materializer, S_CHUNK, &done, s_on_schema, self, &err) != PANDA_OK) {
        //  The chunk was rolled back; the next STORED event retries it.
        panda_log_error ("materialize", "%s", err.message);
        return;
    }
    if (done) {
        panda_log_debug ("materialize", "materialised %zu entries", done);
        self->blobs_stale = true;
    }
    s_progress (self, done, done == S_CHUNK);
    if (self->blobs_due || (self->blobs_stale && zclock_mono () - self->blobs_synced >= S_BLOB_SYNC_MS)) {
        self->blobs_stale = false;
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
    panda_actor_set_name ("materialize");
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
    if (self->store && panda_store_set_cache_size (self->store, S_STORE_CACHE_KIB, &err) != PANDA_OK)
        panda_store_destroy (&self->store);
    if (self->store)
        self->views = panda_views_open (views, false, &err);
    if (self->views)
        self->materializer = panda_materializer_new (self->store, self->views, &err);
    free (views);
    free (store);
    if (!self->materializer)
        return s_fail (self, "cannot open the views database", err.message);
    panda_materializer_set_log (self->materializer, s_on_failure, self);
    if (!(self->events = panda_actor_plug (PANDA_PLUG_MATERIALIZE_EVENTS, c, 0)))
        return "cannot connect to events_endpoint";
    if (!(self->schemas = panda_actor_plug (PANDA_PLUG_MATERIALIZE_SCHEMAS, c, 0)))
        return "cannot bind schemas_endpoint";
    if (!(self->storage = panda_actor_plug (PANDA_PLUG_MATERIALIZE_STORAGE, c, 0)))
        return "cannot connect to storage_endpoint";
    if (!(self->notify = panda_actor_plug (PANDA_PLUG_MATERIALIZE_NOTIFY, c, 0)))
        return "cannot connect to notify_endpoint";
    //  Always kept: logged at info and told to subscribers (node events).
    panda_materializer_set_changes (self->materializer, s_on_change, self);
    char kick_in[80], kick_out[80];
    snprintf (kick_in, sizeof kick_in, "@inproc://pandad-materialize-%p", (void *) self);
    snprintf (kick_out, sizeof kick_out, ">%s", kick_in + 1);
    if (!(self->kick_in = zsock_new_pair (kick_in)) || !(self->kick_out = zsock_new_pair (kick_out)))
        return "cannot create the kick socket";
    zpoller_add (poller, self->events);
    zpoller_add (poller, self->kick_in);
    //  Catch up with what was stored while the node was down, and with
    //  purges whose entries were not deleted yet.
    self->blobs_due = true;
    s_catchup_begin (self);
    zstr_send (self->kick_out, "");
    s_send_purges (self);
    return NULL;
}

//  Milliseconds from now until due, 0 when overdue.
static int64_t
s_left (int64_t due, int64_t now)
{
    return due > now ? due - now : 0;
}

//  A run is owed to entries stored since the last one, S_RUN_GAP_MS after
//  it started. A blob sync is owed to what was materialised since the
//  last one (an unused blob may be purged), S_BLOB_SYNC_MS after the last.
//  Both are due even if nothing else wakes the actor.
static int
s_wait (void *self_)
{
    s_materialize_t *self = self_;
    int64_t now = zclock_mono (), wait = -1; //  -1: nothing is due
    if (self->run_due)
        wait = s_left (self->run_started + S_RUN_GAP_MS, now);
    if (self->blobs_stale) {
        int64_t blobs = s_left (self->blobs_synced + S_BLOB_SYNC_MS, now);
        wait = wait < 0 || blobs < wait ? blobs : wait;
    }
    return (int) wait;
}

//  Every waiting event or kick asks for the same thing: take them all
//  (s_handle, one per call), then run once (s_drained). A kick (a full
//  chunk, or blob work left) runs at once: a catch-up never waits.
static void
s_drained (void *self_, zsock_t *which)
{
    s_materialize_t *self = self_;
    (void) which;
    self->run_due = true;
    if (self->kicked || zclock_mono () - self->run_started >= S_RUN_GAP_MS)
        s_run (self);
    self->kicked = false;
}

//  One event or kick; no socket: a timer is due.
static void
s_handle (void *self_, zsock_t *which)
{
    s_materialize_t *self = self_;
    if (!which)
        s_drained (self, NULL);
    else if (which == self->events) {
        panda_msg_t *msg = panda_actor_recv (which, NULL);
        panda_msg_id_t id = msg ? panda_msg_id (msg) : PANDA_MSG_COUNT;
        const char *schema = id == PANDA_MSG_STORED ? panda_msg_stored_schema_id (msg) : NULL;
        if (schema && strncmp (schema, "blob_", 5) == 0)
            self->blobs_due = true;
        if (id == PANDA_MSG_PURGED)
            s_on_purged (self, msg);
        panda_msg_destroy (&msg);
    } else {
        zmsg_t *msg = zmsg_recv (which);
        zmsg_destroy (&msg);
        self->kicked = true;
    }
}

void
panda_materialize_actor (zsock_t *pipe, void *args)
{
    s_materialize_t self = {.args = args};
    panda_actor_loop_batched (pipe, &self, s_start, s_handle, s_drained, s_wait);
    zsock_destroy (&self.notify);
    zsock_destroy (&self.storage);
    zsock_destroy (&self.kick_out);
    zsock_destroy (&self.kick_in);
    zsock_destroy (&self.schemas);
    zsock_destroy (&self.events);
    panda_materializer_destroy (&self.materializer);
    panda_views_destroy (&self.views);
    panda_store_destroy (&self.store);
}
