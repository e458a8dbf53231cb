/*  test_node_embed.c - a node embedded in this process (panda_node.h): its
    directories, its events as an application sees them, subscribing and
    unsubscribing from any thread. Clients talk to it over HTTP exactly as
    to pandad; a second node (pandad, a child process) is its peer.       */
#include "panda_test.h"

#include "panda_fixture.h"
#include "panda/panda_node.h"

#include <pthread.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define S_MAX_EVENTS 256
#define S_WAIT_MS 30000

typedef struct {
    panda_node_event_kind_t kind;
    char *schema_id, *document_id, *view_id, *peer_id, *address;
} s_event_t;

//  What one subscription received, copied (the event's strings live only
//  during the callback).
typedef struct {
    pthread_mutex_t lock;
    pthread_cond_t changed;
    s_event_t events[S_MAX_EVENTS];
    size_t count;
    panda_node_subscription_t *sub; //  set: unsubscribe at the first event
    pthread_t thread; //  the callbacks' thread
} s_inbox_t;

static void
s_inbox_init (s_inbox_t *inbox)
{
    memset (inbox, 0, sizeof *inbox);
    pthread_mutex_init (&inbox->lock, NULL);
    pthread_cond_init (&inbox->changed, NULL);
}

static void
s_inbox_fini (s_inbox_t *inbox)
{
    for (size_t i = 0; i < inbox->count; i++) {
        s_event_t *e = &inbox->events[i];
        free (e->schema_id), free (e->document_id), free (e->view_id), free (e->peer_id), free (e->address);
    }
    pthread_mutex_destroy (&inbox->lock);
    pthread_cond_destroy (&inbox->changed);
}

static char *
s_dup (const char *text)
{
    return text ? strdup (text) : NULL;
}

static void
s_on_event (const panda_node_event_t *event, void *arg)
{
    s_inbox_t *inbox = arg;
    pthread_mutex_lock (&inbox->lock);
    inbox->thread = pthread_self ();
    if (inbox->count < S_MAX_EVENTS)
        inbox->events[inbox->count++] = (s_event_t){event->kind,
                                                    s_dup (event->schema_id),
                                                    s_dup (event->document_id),
                                                    s_dup (event->view_id),
                                                    s_dup (event->peer_id),
                                                    s_dup (event->address)};
    pthread_cond_broadcast (&inbox->changed);
    pthread_mutex_unlock (&inbox->lock);
    if (inbox->sub) //  from inside the callback: no further call
        panda_node_unsubscribe (&inbox->sub);
}

//  Wait until the inbox holds count events; returns how many it holds.
static size_t
s_wait_events (s_inbox_t *inbox, size_t count, int timeout_ms)
{
    struct timespec deadline;
    clock_gettime (CLOCK_REALTIME, &deadline);
    deadline.tv_sec += timeout_ms / 1000;
    pthread_mutex_lock (&inbox->lock);
    while (inbox->count < count && pthread_cond_timedwait (&inbox->changed, &inbox->lock, &deadline) == 0)
        ;
    size_t got = inbox->count;
    pthread_mutex_unlock (&inbox->lock);
    return got;
}

//  --- an embedded node -------------------------------------------------------

typedef struct {
    char dir[256];
    panda_config_t *config;
    panda_node_t *node;
    panda_http_t *http;
} s_embedded_t;

static s_embedded_t *s_live; //  the node running, for the teardown

static void
s_set (panda_config_t *config, const char *key, const char *value)
{
    panda_error_t err;
    if (panda_config_set (config, key, value, &err) != PANDA_OK)
        fail_msg ("%s = %s: %s", key, value, err.message);
}

//  A node in this process with its data under a fresh temp dir, in
//  data_dir (relative to it), with extra key/value pairs (NULL-ended).
static void
s_embed (s_embedded_t *e, const char *data_dir, const char *const *more)
{
    assert_int_equal (panda_pandad_temp_dir (e->dir, sizeof e->dir, "panda-embed"), 0);
    char path[512];
    snprintf (path, sizeof path, "%s/%s", e->dir, data_dir);
    assert_non_null (e->config = panda_config_new ());
    s_set (e->config, "data_dir", path);
    const char *base[] = {
        "http_address", "127.0.0.1", "http_port", "0", "http_threads", "16",   "mdns", "false",
        "node_address", "127.0.0.1", "node_port", "0", "log_level",    "warn", NULL};
    for (size_t i = 0; base[i]; i += 2)
        s_set (e->config, base[i], base[i + 1]);
    for (size_t i = 0; more && more[i]; i += 2)
        s_set (e->config, more[i], more[i + 1]);
    panda_error_t err;
    if (panda_config_check (e->config, &err) != PANDA_OK)
        fail_msg ("config: %s", err.message);
    if (!(e->node = panda_node_new (e->config, &err)))
        fail_msg ("panda_node_new: %s", err.message);
    assert_true (panda_node_http_port (e->node) > 0);
    s_live = e;
    e->http = panda_http_connect ("127.0.0.1", panda_node_http_port (e->node), PANDA_FIXTURE_REQUEST_MS);
    assert_non_null (e->http);
}

static void
s_unembed (s_embedded_t *e)
{
    s_live = NULL;
    panda_http_destroy (&e->http);
    panda_node_destroy (&e->node);
    panda_config_destroy (&e->config);
    char command[512];
    snprintf (command, sizeof command, "rm -rf '%s'", e->dir);
    assert_int_equal (system (command), 0);
}

static void
s_publish (panda_http_t *http, size_t i)
{
    json_t *answer = panda_fixture_publish_sequence_entry (http, i, NULL);
    if (json_object_get (answer, "errors"))
        fail_msg ("entry %zu refused: %s", i, json_dumps (answer, 0));
    json_decref (answer);
}

//  --- tests -------------------------------------------------------------------

//  The node makes every directory it needs, the user's alone; what it
//  cannot make is an error naming the setting, and nothing starts.
static void
test_directories (void **state)
{
    (void) state;
    static s_embedded_t e; //  static: a failed test's teardown still reaches it
    memset (&e, 0, sizeof e);
    const char *more[] = {"database_url", NULL, "blobs_base_path", NULL, NULL};
    char db[600], blobs[600];
    //  The paths are only known once the temp dir is: make it first.
    char base[256];
    assert_int_equal (panda_pandad_temp_dir (base, sizeof base, "panda-dirs"), 0);
    snprintf (db, sizeof db, "sqlite:%s/db/deep/node.sqlite3", base);
    snprintf (blobs, sizeof blobs, "%s/files/blobs", base);
    more[1] = db, more[3] = blobs;
    s_embed (&e, "data/nested", more);
    struct stat st;
    char path[700];
    snprintf (path, sizeof path, "%s/data/nested", e.dir);
    assert_int_equal (stat (path, &st), 0);
    assert_int_equal (st.st_mode & 0777, 0700);
    snprintf (path, sizeof path, "%s/db/deep", base);
    assert_int_equal (stat (path, &st), 0);
    assert_int_equal (st.st_mode & 0777, 0700);
    snprintf (path, sizeof path, "%s/db/deep/node.sqlite3", base);
    assert_int_equal (stat (path, &st), 0);
    assert_int_equal (st.st_mode & 0777, 0600); //  whatever the process umask
    assert_int_equal (stat (blobs, &st), 0);
    assert_int_equal (st.st_mode & 0777, 0700);
    s_unembed (&e);

    //  A file where a directory must go.
    panda_config_t *config = panda_config_new ();
    snprintf (path, sizeof path, "%s/db/deep/node.sqlite3/blobs", base);
    s_set (config, "data_dir", base);
    s_set (config, "blobs_base_path", path);
    s_set (config, "http_port", "0");
    panda_error_t err;
    assert_int_equal (panda_config_check (config, &err), PANDA_OK);
    assert_null (panda_node_new (config, &err));
    assert_non_null (strstr (err.message, "blobs_base_path: cannot create directory"));
    panda_config_destroy (&config);

    //  A config nobody finished.
    config = panda_config_new ();
    assert_null (panda_node_new (config, &err));
    assert_non_null (strstr (err.message, "panda_config_check"));
    //  A bad value changes nothing.
    assert_int_equal (panda_config_set (config, "http_port", "70000", &err), PANDA_ERR_INVALID);
    assert_non_null (strstr (err.message, "http_port"));
    assert_int_equal (config->http_port, 2020);
    assert_int_equal (panda_config_set (config, "direct_node_addresses", "a,", &err), PANDA_OK);
    assert_int_equal (panda_config_set (config, "no_such_key", "1", &err), PANDA_ERR_INVALID);
    panda_config_destroy (&config);

    char command[700];
    snprintf (command, sizeof command, "rm -rf '%s'", base);
    assert_int_equal (system (command), 0);
}

//  Every publish that changes a document is one event, in order, after
//  the views committed it: a query made when the event arrives sees it.
static void
test_document_events (void **state)
{
    (void) state;
    static s_embedded_t e; //  static: a failed test's teardown still reaches it
    memset (&e, 0, sizeof e);
    s_embed (&e, "data", NULL);
    static s_inbox_t inbox, once; //  static: the callbacks may outlive a failed test
    s_inbox_init (&inbox);
    s_inbox_init (&once);
    panda_error_t err;
    panda_node_subscription_t *sub =
        panda_node_subscribe (e.node, PANDA_NODE_DOCUMENT_CHANGED, s_on_event, &inbox, &err);
    assert_non_null (sub);
    //  This one ends itself at its first event.
    once.sub = panda_node_subscribe (e.node, PANDA_NODE_EVENTS_ALL, s_on_event, &once, &err);
    assert_non_null (once.sub);
    //  Kinds that are no events, or no callback.
    assert_null (panda_node_subscribe (e.node, 1u << 20, s_on_event, &inbox, &err));
    assert_int_equal (err.code, PANDA_ERR_INVALID);
    assert_null (panda_node_subscribe (e.node, PANDA_NODE_EVENTS_ALL, NULL, NULL, &err));

    json_t *entries = json_object_get (panda_fixture_vectors ("publish_sequence.json"), "entries");
    const size_t count = 75; //  up to the first DELETE
    for (size_t i = 0; i < count; i++) {
        //  Entries 16 on use the application schemas of entries 1 and 11:
        //  publishing needs them materialised (clients poll, node-api §6.7).
        if (i == 16 || i == 18)
            panda_fixture_wait_schema (
                e.http, json_string_value (json_object_get (json_array_get (entries, i), "schema_id")),
                S_WAIT_MS);
        s_publish (e.http, i);
        if (i == 18) { //  the first document of an application schema
            assert_true (s_wait_events (&inbox, 19, S_WAIT_MS) >= 19);
            json_t *entry = json_array_get (entries, 18);
            const char *schema = json_string_value (json_object_get (entry, "schema_id"));
            const char *id = json_string_value (json_object_get (entry, "document_id"));
            char query[512];
            snprintf (query, sizeof query, "{ d: %s(id: \"%s\") { meta { viewId } } }", schema, id);
            json_t *answer = panda_fixture_graphql (e.http, query, NULL, NULL);
            json_t *view = json_object_get (
                json_object_get (json_object_get (json_object_get (answer, "data"), "d"), "meta"), "viewId");
            assert_string_equal (json_string_value (view), id); //  at once, no polling
            json_decref (answer);
        }
    }
    assert_int_equal (s_wait_events (&inbox, count, S_WAIT_MS), count);
    for (size_t i = 0; i < count; i++) {
        json_t *entry = json_array_get (entries, i);
        const char *action = json_string_value (json_object_get (entry, "action"));
        s_event_t *ev = &inbox.events[i];
        panda_node_event_kind_t want = strcmp (action, "create") == 0   ? PANDA_NODE_DOCUMENT_CREATED
                                       : strcmp (action, "update") == 0 ? PANDA_NODE_DOCUMENT_UPDATED
                                                                        : PANDA_NODE_DOCUMENT_DELETED;
        if (ev->kind != want)
            fail_msg ("event %zu: %s, expected %s", i, panda_node_event_name (ev->kind),
                      panda_node_event_name (want));
        assert_string_equal (ev->document_id, json_string_value (json_object_get (entry, "document_id")));
        assert_string_equal (ev->schema_id, json_string_value (json_object_get (entry, "schema_id")));
        assert_null (ev->peer_id);
        //  A document edited in one line: its view is the last operation.
        if (i <= 57 || i >= 72)
            assert_string_equal (ev->view_id, json_string_value (json_object_get (entry, "operation_id")));
        else
            assert_non_null (ev->view_id);
    }
    //  The callbacks ran on the node's thread, not the test's.
    assert_false (pthread_equal (inbox.thread, pthread_self ()));
    assert_int_equal (s_wait_events (&once, 1, S_WAIT_MS), 1);
    assert_int_equal (once.count, 1);
    assert_int_equal (once.events[0].kind, PANDA_NODE_DOCUMENT_CREATED);
    assert_null (once.sub);

    //  After unsubscribe returns, nothing more arrives.
    panda_node_unsubscribe (&sub);
    assert_null (sub);
    static s_inbox_t after;
    s_inbox_init (&after);
    panda_node_subscription_t *last =
        panda_node_subscribe (e.node, PANDA_NODE_DOCUMENT_CHANGED, s_on_event, &after, &err);
    s_publish (e.http, count);
    assert_int_equal (s_wait_events (&after, 1, S_WAIT_MS), 1);
    assert_int_equal (inbox.count, count);
    //  Left open: panda_node_destroy ends it.
    (void) last;
    s_unembed (&e);
    s_inbox_fini (&after);
    s_inbox_fini (&once);
    s_inbox_fini (&inbox);
}

//  Another node connects, then goes away: two events naming it.
static void
test_peer_events (void **state)
{
    (void) state;
    panda_fixture_require ();
    panda_error_t err;
    char dir[256], key_path[320], peer_id[128];
    assert_int_equal (panda_pandad_temp_dir (dir, sizeof dir, "panda-embed-key"), 0);
    assert_true (
        panda_fixture_key_file (dir, "node.key", key_path, sizeof key_path, peer_id, sizeof peer_id));
    char port[16], address[64], dial[256];
    snprintf (port, sizeof port, "%d", panda_fixture_free_port ());
    snprintf (address, sizeof address, "127.0.0.1:%s", port);
    snprintf (dial, sizeof dial, "%s@%s", peer_id, address);
    //  Subscribed before the peer is up: the node redials until it is.
    static s_embedded_t e; //  static: a failed test's teardown still reaches it
    memset (&e, 0, sizeof e);
    s_embed (&e, "data", (const char *[]){"direct_node_addresses", dial, NULL});
    static s_inbox_t inbox;
    s_inbox_init (&inbox);
    panda_node_subscription_t *sub =
        panda_node_subscribe (e.node, PANDA_NODE_PEER_CHANGED, s_on_event, &inbox, &err);
    assert_non_null (sub);
    const char *args[] = {"--node-address", "127.0.0.1", "--node-port", port,
                          "--private-key",  key_path,    NULL};
    panda_fixture_t *peer = panda_fixture_start (args, PANDA_FIXTURE_START_MS, PANDA_FIXTURE_REQUEST_MS);
    assert_non_null (peer);
    assert_true (s_wait_events (&inbox, 1, S_WAIT_MS) >= 1);
    s_event_t *connected = &inbox.events[0];
    assert_int_equal (connected->kind, PANDA_NODE_PEER_CONNECTED);
    assert_string_equal (connected->peer_id, peer_id);
    assert_string_equal (connected->address, address);
    assert_null (connected->document_id);

    size_t before = inbox.count;
    assert_int_equal (panda_fixture_stop (&peer), 0);
    assert_true (s_wait_events (&inbox, before + 1, S_WAIT_MS) > before);
    s_event_t *gone = &inbox.events[before];
    assert_int_equal (gone->kind, PANDA_NODE_PEER_DISCONNECTED);
    assert_string_equal (gone->peer_id, peer_id);
    panda_node_unsubscribe (&sub);
    s_unembed (&e);
    s_inbox_fini (&inbox);
    unlink (key_path);
    rmdir (dir);
}

//  After a failed test: stop its node (and so its callbacks) before the
//  next test starts one on the same endpoints.
static int
s_teardown (void **state)
{
    (void) state;
    if (s_live)
        s_unembed (s_live);
    return 0;
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown (test_directories, s_teardown),
        cmocka_unit_test_teardown (test_document_events, s_teardown),
        cmocka_unit_test_teardown (test_peer_events, s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
