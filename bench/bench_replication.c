/*  bench_replication.c - two pandad processes replicating on loopback.

    1  catch-up: node A holds N entries (LOGS authors, one log each, a
       schema_field_definition_v1 CREATE then UPDATEs, written straight
       into its database and materialised before B starts); an empty B
       dials A through a counting TCP proxy. Time from launching B until
       B has stored all N, as entries/s, next to its ceiling measured in
       the same run: the same entries published into an in-process node
       through the pipeline without HTTP (DEALER -> ingest -> verify ->
       storage, 256 in flight, as bench_pipeline case 4).
    2  wire bytes during catch-up (both directions through the proxy,
       CurveZMQ and ZMTP included) / Σ (entry + operation bytes).
    3  idle anti-entropy: B restarts on its full database and reconnects;
       bytes each way until the link is quiet for a second, and the
       round trips (direction changes / 2), handshakes included.
    4  live latency: entries published on A over HTTP, one at a time; the
       time until B's STORED event for it (B's events endpoint is ipc://
       so the bench subscribes): p50 and p99.

    5  with --relay (root, nftables): the same catch-up through a relay, A
       and B each behind its own NAT (tests/netns_nat.sh), the relay a
       third pandad in between (relay_mode, no schemas); entries/s next to
       the direct catch-up of case 1, bytes the relay forwarded, and the
       relay's CPU time per forwarded MB.

    usage: bench_replication [--entries N] [--logs L] [--live M] [--relay] */
#define _GNU_SOURCE //  setns

#include "bench_util.h"
#include "panda_actors.h"
#include "panda_http.h"
#include "panda/panda_node.h"
#include "panda_pandad.h"
#include "panda_peer_id.h"
#include "panda_store.h"
#include "panda/panda_hex.h"
#include "panda/panda_log_writer.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <sched.h>
#include <signal.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define S_START_MS 60000
#define S_CATCHUP_MS 600000
#define S_WINDOW 256

typedef struct {
    uint8_t *entry, *op;
    size_t entry_len, op_len;
    panda_hash_t hash;
} s_item_t;

static void
s_die (const char *what, const char *why)
{
    fprintf (stderr, "bench_replication: %s%s%s\n", what, why ? ": " : "", why ? why : "");
    exit (1);
}

static uint8_t *
s_dup (const uint8_t *bytes, size_t len)
{
    uint8_t *copy = malloc (len ? len : 1);
    if (!copy)
        s_die ("out of memory", NULL);
    memcpy (copy, bytes, len);
    return copy;
}

//  count entries round-robin over logs keys (log i: its own key, log id 0).
static s_item_t *
s_make_items (size_t count, size_t logs)
{
    panda_keypair_t **keys = calloc (logs, sizeof *keys);
    panda_log_writer_t **writers = calloc (logs, sizeof *writers);
    s_item_t *items = calloc (count, sizeof *items);
    if (!keys || !writers || !items)
        s_die ("out of memory", NULL);
    for (size_t l = 0; l < logs; l++)
        if (!(keys[l] = panda_keypair_new ()) || !(writers[l] = panda_log_writer_new (keys[l], 0)))
            s_die ("out of memory", NULL);
    for (size_t i = 0; i < count; i++) {
        size_t log = i % logs;
        uint64_t seq = i / logs + 1;
        panda_error_t err;
        panda_operation_t *op = bench_field_operation (
            log, seq, seq > 1 ? panda_log_writer_hash (writers[log], seq - 1) : NULL, &err);
        if (!op)
            s_die ("operation", err.message);
        size_t op_len;
        const uint8_t *op_bytes = panda_operation_bytes (op, &op_len);
        panda_entry_t *entry = panda_log_writer_sign (writers[log], op_bytes, op_len, &err);
        if (!entry)
            s_die ("entry", err.message);
        const uint8_t *entry_bytes = panda_entry_bytes (entry, &items[i].entry_len);
        items[i].entry = s_dup (entry_bytes, items[i].entry_len);
        items[i].op = s_dup (op_bytes, op_len);
        items[i].op_len = op_len;
        items[i].hash = *panda_entry_hash (entry);
        panda_entry_destroy (&entry);
        panda_operation_destroy (&op);
    }
    for (size_t l = 0; l < logs; l++) {
        panda_log_writer_destroy (&writers[l]);
        panda_keypair_destroy (&keys[l]);
    }
    free (writers);
    free (keys);
    return items;
}

static const panda_schema_t *
s_system_schema (void *ctx, const char *schema_id)
{
    (void) ctx;
    return panda_schema_system (schema_id);
}

//  Write items [0, n) into a new entries database at path.
static void
s_fill (const char *path, s_item_t *items, size_t n)
{
    panda_error_t err;
    panda_store_t *store = panda_store_open (path, &err);
    if (!store)
        s_die ("store", err.message);
    panda_store_item_t *batch = calloc (512, sizeof *batch);
    panda_store_result_t *results = calloc (512, sizeof *results);
    panda_entry_t **entries = calloc (512, sizeof *entries);
    for (size_t i = 0; i < n; i += 512) {
        size_t k = n - i < 512 ? n - i : 512;
        for (size_t j = 0; j < k; j++) {
            if (panda_entry_decode (&entries[j], items[i + j].entry, items[i + j].entry_len, &err) !=
                PANDA_OK)
                s_die ("decode", err.message);
            batch[j].entry = entries[j];
            batch[j].operation = panda_operation_decode (items[i + j].op, items[i + j].op_len, &err);
        }
        if (panda_store_publish_batch (store, batch, k, s_system_schema, NULL, results, &err) != PANDA_OK)
            s_die ("publish batch", err.message);
        for (size_t j = 0; j < k; j++) {
            if (results[j].code != PANDA_OK)
                s_die ("store", results[j].error.message);
            panda_entry_destroy (&entries[j]);
            panda_operation_destroy (&batch[j].operation);
        }
    }
    free (batch);
    free (results);
    free (entries);
    panda_store_destroy (&store);
}

//  One integer a read-only SQL query answers (0 when it cannot).
static int64_t
s_sql_int (const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    int64_t value = 0;
    if (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK) {
        sqlite3_busy_timeout (db, 1000);
        sqlite3_stmt *stmt = NULL;
        if (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL) == SQLITE_OK && sqlite3_step (stmt) == SQLITE_ROW)
            value = sqlite3_column_int64 (stmt, 0);
        sqlite3_finalize (stmt);
    }
    sqlite3_close (db);
    return value;
}

//  Wait until path's query reaches target; false at the deadline. The
//  other process writes the file: polling it is all there is.
static bool
s_wait_sql (const char *path, const char *sql, int64_t target, int timeout_ms)
{
    uint64_t deadline = bench_now_ns () + (uint64_t) timeout_ms * 1000000;
    while (s_sql_int (path, sql) < target) {
        if (bench_now_ns () > deadline)
            return false;
        zclock_sleep (20);
    }
    return true;
}

//  --------------------------------------------------------------------------
//  A TCP proxy that counts bytes each way and direction changes.

typedef struct {
    int listen_fd, port, target_port;
    atomic_bool stop;
    atomic_ullong up, down; //  bytes B -> A, A -> B
    atomic_ullong turns; //  changes of direction
    atomic_ullong last_ns; //  time of the last byte
    pthread_t thread;
} s_proxy_t;

static int
s_listen (int *port)
{
    int fd = socket (AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl (INADDR_LOOPBACK)};
    socklen_t len = sizeof addr;
    if (fd < 0 || bind (fd, (struct sockaddr *) &addr, sizeof addr) || listen (fd, 4) ||
        getsockname (fd, (struct sockaddr *) &addr, &len))
        s_die ("proxy listen", strerror (errno));
    *port = ntohs (addr.sin_port);
    return fd;
}

static int
s_free_port (void)
{
    int port, fd = s_listen (&port);
    close (fd);
    return port;
}

static void *
s_proxy_run (void *args)
{
    s_proxy_t *self = args;
    while (!atomic_load (&self->stop)) {
        struct pollfd lp = {.fd = self->listen_fd, .events = POLLIN};
        if (poll (&lp, 1, 100) <= 0)
            continue;
        int client = accept (self->listen_fd, NULL, NULL);
        int server = socket (AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in addr = {.sin_family = AF_INET,
                                   .sin_port = htons ((uint16_t) self->target_port),
                                   .sin_addr.s_addr = htonl (INADDR_LOOPBACK)};
        if (client < 0 || server < 0 || connect (server, (struct sockaddr *) &addr, sizeof addr)) {
            close (client);
            close (server);
            continue;
        }
        int last = -1;
        char buf[65536];
        while (!atomic_load (&self->stop)) {
            struct pollfd fds[2] = {{.fd = client, .events = POLLIN}, {.fd = server, .events = POLLIN}};
            if (poll (fds, 2, 100) <= 0)
                continue;
            int from = (fds[0].revents & (POLLIN | POLLHUP)) ? 0 : 1;
            ssize_t n = read (from ? server : client, buf, sizeof buf);
            if (n <= 0)
                break;
            if (write (from ? client : server, buf, (size_t) n) != n)
                break;
            atomic_fetch_add (from ? &self->down : &self->up, (unsigned long long) n);
            if (from != last)
                atomic_fetch_add (&self->turns, 1);
            last = from;
            atomic_store (&self->last_ns, bench_now_ns ());
        }
        close (client);
        close (server);
    }
    return NULL;
}

static void
s_proxy_reset (s_proxy_t *self)
{
    atomic_store (&self->up, 0);
    atomic_store (&self->down, 0);
    atomic_store (&self->turns, 0);
}

//  Wait until no byte passed for quiet_ms (after at least one did).
static void
s_proxy_quiet (s_proxy_t *self, int quiet_ms, int timeout_ms)
{
    uint64_t deadline = bench_now_ns () + (uint64_t) timeout_ms * 1000000;
    while (bench_now_ns () < deadline) {
        uint64_t last = atomic_load (&self->last_ns);
        if (atomic_load (&self->up) && bench_now_ns () - last > (uint64_t) quiet_ms * 1000000)
            return;
        zclock_sleep (50); //  watching for silence is watching time pass
    }
}

//  --------------------------------------------------------------------------
//  The ceiling: the same entries through an in-process pipeline.

static double
s_pipeline_rate (s_item_t *items, size_t n, const char *dir)
{
    char url[512];
    snprintf (url, sizeof url, "sqlite:%s/ceiling.sqlite3", dir);
    panda_error_t err;
    panda_config_t *config = panda_pandad_inproc_config ("brepl", url, &err);
    if (!config)
        s_die ("config", err.message);
    free (config->node_address);
    config->node_address = strdup ("127.0.0.1");
    config->node_port = 0;
    char path[600];
    snprintf (path, sizeof path, "%s/ceiling.key", dir);
    free (config->private_key);
    config->private_key = strdup (path);
    snprintf (path, sizeof path, "%s/ceiling-blobs", dir);
    mkdir (path, 0700);
    free (config->blobs_base_path);
    config->blobs_base_path = strdup (path);
    panda_node_t *node = panda_node_new (config, &err);
    if (!node)
        s_die ("node", err.message);
    zsock_t *dealer = panda_actor_socket (ZMQ_DEALER, false, config->ingest_endpoint);
    uint64_t start = bench_now_ns ();
    size_t sent = 0, answered = 0;
    while (answered < n) {
        while (sent < n && sent - answered < S_WINDOW) {
            panda_msg_t *msg = panda_msg_publish_new (sent + 1, items[sent].entry, items[sent].entry_len,
                                                      items[sent].op, items[sent].op_len);
            if (panda_actor_send (dealer, NULL, &msg))
                s_die ("send", NULL);
            sent++;
        }
        panda_msg_t *reply = panda_actor_recv (dealer, NULL);
        if (!reply || panda_msg_id (reply) != PANDA_MSG_ARGS)
            s_die ("pipeline", reply ? panda_msg_failed_message (reply) : "no answer");
        panda_msg_destroy (&reply);
        answered++;
    }
    double rate = (double) n / ((double) (bench_now_ns () - start) / 1e9);
    zsock_destroy (&dealer);
    panda_node_destroy (&node);
    panda_config_destroy (&config);
    return rate;
}

//  --------------------------------------------------------------------------
//  5: through a relay, between two NATs

#define S_NAT_PREFIX "pbr"

//  Enter a namespace of the topology, or the bench's own (NULL).
static void
s_netns (const char *name)
{
    static int home = -1;
    if (home < 0 && (home = open ("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC)) < 0)
        s_die ("open", "/proc/thread-self/ns/net");
    char path[128];
    snprintf (path, sizeof path, "/run/netns/" S_NAT_PREFIX "%s", name ? name : "");
    int fd = name ? open (path, O_RDONLY | O_CLOEXEC) : home;
    if (fd < 0 || setns (fd, CLONE_NEWNET) != 0)
        s_die ("setns", name ? path : "home");
    if (name)
        close (fd);
}

static panda_pandad_t *
s_start_in (const char *ns, const char *const *args)
{
    s_netns (ns);
    panda_pandad_t *node = panda_pandad_start (args, S_START_MS);
    s_netns (NULL);
    if (!node)
        s_die ("start a node in", ns);
    return node;
}

//  The relay's GET /replication, in its namespace.
static json_t *
s_relay_info (panda_pandad_t *relay)
{
    s_netns ("pub");
    panda_http_t *http = panda_http_connect ("127.0.0.1", panda_pandad_port (relay), 10000);
    panda_http_response_t response;
    json_t *info = NULL;
    if (http && panda_http_request (http, "GET", "/replication", NULL, NULL, 0, &response) == 0) {
        info = json_loads (response.body, 0, NULL);
        panda_http_response_release (&response);
    }
    panda_http_destroy (&http);
    s_netns (NULL);
    if (!info)
        s_die ("relay", "no GET /replication");
    return info;
}

static void
s_relay_case (const char *dir, const char *a_db, size_t total, double direct_rate)
{
    char command[512];
    snprintf (command, sizeof command,
              "%s/tests/netns_nat.sh down " S_NAT_PREFIX " && %s/tests/netns_nat.sh up " S_NAT_PREFIX,
              PANDA_SOURCE_DIR, PANDA_SOURCE_DIR);
    s_netns (NULL); //  remember the bench's own namespace first
    if (geteuid () != 0 || system (command) != 0) {
        printf ("5 relay: skipped (needs root, network namespaces and nft)\n");
        return;
    }
    char r_dir[600], a_url[600], via_a[256], via_b[256];
    snprintf (r_dir, sizeof r_dir, "%s/relay", dir);
    snprintf (a_url, sizeof a_url, "sqlite:%s", a_db);
    mkdir (r_dir, 0700);
    const char *r_args[] = {"--relay-mode", "true", "--allow-schema-ids", "", "--node-port", "2022", NULL};
    panda_pandad_t *relay = s_start_in ("pub", r_args);
    json_t *info = s_relay_info (relay);
    snprintf (via_a, sizeof via_a, "%s@10.0.1.1:2022", json_string_value (json_object_get (info, "peer_id")));
    snprintf (via_b, sizeof via_b, "%s@10.0.2.1:2022", json_string_value (json_object_get (info, "peer_id")));
    json_decref (info);
    const char *a_args[] = {"--database-url",
                            a_url,
                            "--relay-addresses",
                            via_a,
                            "--node-port",
                            "2022",
                            "--replication-interval-ms",
                            "600000",
                            NULL};
    panda_pandad_t *a = s_start_in ("hA", a_args);
    int64_t relay_cpu = panda_pandad_cpu_ms (relay);
    const char *b_args[] = {"--relay-addresses",         via_b,    "--node-port", "2022",
                            "--replication-interval-ms", "600000", NULL};
    uint64_t launched = bench_now_ns ();
    panda_pandad_t *b = s_start_in ("hB", b_args);
    char b_db[600];
    snprintf (b_db, sizeof b_db, "%s/pandad.sqlite3", panda_pandad_dir (b));
    if (!s_wait_sql (b_db, "SELECT count (*) FROM entries", (int64_t) total, S_CATCHUP_MS))
        s_die ("B did not catch up through the relay", NULL);
    double seconds = (double) (bench_now_ns () - launched) / 1e9;
    relay_cpu = panda_pandad_cpu_ms (relay) - relay_cpu;
    info = s_relay_info (relay);
    json_int_t forwarded =
        json_integer_value (json_object_get (json_object_get (info, "relay"), "forwarded_bytes"));
    json_decref (info);
    double rate = (double) total / seconds;
    printf (
        "5 relay: catch-up of %zu entries between two NATs through a relay: %.2f s from launching B, %.0f "
        "entries/s; direct (case 1, same run) %.0f entries/s; ratio %.2f; the relay forwarded %.1f MB using "
        "%lld ms CPU: %.0f ms per MB\n",
        total, seconds, rate, direct_rate, rate / direct_rate, (double) forwarded / 1e6,
        (long long) relay_cpu, forwarded > 0 ? (double) relay_cpu / ((double) forwarded / 1e6) : 0.0);
    panda_pandad_stop (&b);
    panda_pandad_stop (&a);
    panda_pandad_stop (&relay);
    snprintf (command, sizeof command, "%s/tests/netns_nat.sh down " S_NAT_PREFIX, PANDA_SOURCE_DIR);
    if (system (command) != 0)
        fprintf (stderr, "could not remove the namespaces " S_NAT_PREFIX "*\n");
}

static int
s_cmp_double (const void *a, const void *b)
{
    double x = *(const double *) a, y = *(const double *) b;
    return (x > y) - (x < y);
}

static void
s_write_key (const char *path, panda_peer_identity_t *identity)
{
    char text[PANDA_PEER_KEY_FILE_SIZE + 1];
    panda_peer_identity_key_file (identity, text);
    FILE *file = fopen (path, "w");
    if (!file || fwrite (text, 1, PANDA_PEER_KEY_FILE_SIZE, file) != PANDA_PEER_KEY_FILE_SIZE)
        s_die ("key file", path);
    fclose (file);
}

int
main (int argc, char **argv)
{
    size_t n = 10000, logs = 1000, live = 200;
    bool relay = false;
    for (int i = 1; i < argc; i++)
        if (strcmp (argv[i], "--relay") == 0)
            relay = true;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp (argv[i], "--entries") == 0)
            n = strtoul (argv[i + 1], NULL, 10);
        else if (strcmp (argv[i], "--logs") == 0)
            logs = strtoul (argv[i + 1], NULL, 10);
        else if (strcmp (argv[i], "--live") == 0)
            live = strtoul (argv[i + 1], NULL, 10);
    }
    zsys_handler_set (NULL);
    char dir[] = "/tmp/bench_replication_XXXXXX";
    if (!mkdtemp (dir))
        s_die ("mkdtemp", NULL);
    printf ("bench_replication: %zu entries over %zu logs (+%zu live), loopback, %s\n", n, logs, live, dir);
    s_item_t *items = s_make_items (n + live, logs);
    size_t payload = 0;
    for (size_t i = 0; i < n; i++)
        payload += items[i].entry_len + items[i].op_len;

    //  Ceiling first, on an idle machine.
    double ceiling = s_pipeline_rate (items, n, dir);

    char a_db[512], a_views[600], a_key[512], b_key[512], a_url[600];
    snprintf (a_db, sizeof a_db, "%s/a.sqlite3", dir);
    snprintf (a_views, sizeof a_views, "%s-views", a_db);
    snprintf (a_url, sizeof a_url, "sqlite:%s", a_db);
    snprintf (a_key, sizeof a_key, "%s/a.key", dir);
    snprintf (b_key, sizeof b_key, "%s/b.key", dir);
    s_fill (a_db, items, n);
    panda_error_t err;
    panda_peer_identity_t *a_id = panda_peer_identity_new_random (&err),
                          *b_id = panda_peer_identity_new_random (&err);
    s_write_key (a_key, a_id);
    s_write_key (b_key, b_id);
    char a_port[16];
    snprintf (a_port, sizeof a_port, "%d", s_free_port ());
    const char *a_args[] = {"--database-url",
                            a_url,
                            "--private-key",
                            a_key,
                            "--node-address",
                            "127.0.0.1",
                            "--node-port",
                            a_port,
                            "--replication-interval-ms",
                            "600000",
                            NULL};
    panda_pandad_t *a = panda_pandad_start (a_args, S_START_MS);
    if (!a)
        s_die ("start A", NULL);
    //  A materialises its entries before B comes, as a node that has run
    //  for a while would have.
    char position_sql[] = "SELECT value FROM meta WHERE key = 'position'";
    if (!s_wait_sql (a_views, position_sql, (int64_t) n, S_CATCHUP_MS))
        s_die ("A did not materialise its entries", NULL);

    s_proxy_t proxy = {.target_port = atoi (a_port)};
    proxy.listen_fd = s_listen (&proxy.port);
    pthread_create (&proxy.thread, NULL, s_proxy_run, &proxy);
    char direct[256], b_events[600];
    snprintf (direct, sizeof direct, "%s@127.0.0.1:%d", panda_peer_identity_peer_id (a_id), proxy.port);
    snprintf (b_events, sizeof b_events, "ipc://%s/b-events", dir);
    const char *b_args[] = {"--private-key",
                            b_key,
                            "--node-address",
                            "127.0.0.1",
                            "--node-port",
                            "0",
                            "--direct-node-addresses",
                            direct,
                            "--replication-interval-ms",
                            "600000",
                            "--events-endpoint",
                            b_events,
                            NULL};
    uint64_t launched = bench_now_ns ();
    panda_pandad_t *b = panda_pandad_start (b_args, S_START_MS);
    if (!b)
        s_die ("start B", NULL);
    uint64_t listening = bench_now_ns ();
    char b_db[600];
    snprintf (b_db, sizeof b_db, "%s/pandad.sqlite3", panda_pandad_dir (b));
    if (!s_wait_sql (b_db, "SELECT count (*) FROM entries", (int64_t) n, S_CATCHUP_MS))
        s_die ("B did not catch up", NULL);
    double seconds = (double) (bench_now_ns () - launched) / 1e9;
    unsigned long long up = atomic_load (&proxy.up), down = atomic_load (&proxy.down);
    printf ("1 catch-up %zu entries: %.2f s from launching B (B listening after %.0f ms): %.0f entries/s; "
            "ceiling (pipeline without HTTP, same entries, same run) %.0f entries/s; ratio %.2f\n",
            n, seconds, (double) (listening - launched) / 1e6, (double) n / seconds, ceiling,
            (double) n / seconds / ceiling);
    printf ("2 wire bytes during catch-up: %llu B->A + %llu A->B = %llu; entry + operation bytes %zu; ratio "
            "%.3f\n",
            up, down, up + down, payload, (double) (up + down) / (double) payload);

    //  3: B restarts on its full database; the pair has nothing new.
    s_proxy_quiet (&proxy, 1000, 30000);
    if (panda_pandad_signal (b, SIGTERM, 20000) != 0)
        s_die ("stop B", NULL);
    s_proxy_reset (&proxy);
    if (!panda_pandad_restart (b, NULL, S_START_MS))
        s_die ("restart B", NULL);
    s_proxy_quiet (&proxy, 1000, 60000);
    printf ("3 idle reconnect over %zu logs: %llu bytes B->A, %llu bytes A->B, %llu round trips (CurveZMQ "
            "handshake, Hello, Credit, Announce, SyncRequest + Ranges, SyncDone included)\n",
            logs, (unsigned long long) atomic_load (&proxy.up),
            (unsigned long long) atomic_load (&proxy.down),
            (unsigned long long) (atomic_load (&proxy.turns) + 1) / 2);

    //  4: live latency, one publish at a time over HTTP to A.
    zsock_t *events = zsock_new_sub (b_events, "");
    panda_http_t *http = panda_http_connect ("127.0.0.1", panda_pandad_port (a), 10000);
    if (!events || !http)
        s_die ("live set-up", NULL);
    zsock_set_rcvtimeo (events, 10000);
    double *latency = calloc (live, sizeof *latency);
    size_t measured = 0;
    for (size_t i = 0; i < live; i++) {
        s_item_t *item = &items[n + i];
        char *entry_hex = panda_hex_encode (item->entry, item->entry_len);
        char *op_hex = panda_hex_encode (item->op, item->op_len);
        char body[8192];
        snprintf (body, sizeof body,
                  "{\"query\":\"mutation P($e: String!, $o: String!) { publish(entry: $e, operation: $o) "
                  "{ seqNum } }\",\"variables\":{\"e\":\"%s\",\"o\":\"%s\"}}",
                  entry_hex, op_hex);
        free (entry_hex);
        free (op_hex);
        uint64_t t0 = bench_now_ns ();
        panda_http_response_t response;
        if (panda_http_request (http, "POST", "/graphql", "Content-Type: application/json\r\n", body,
                                strlen (body), &response) != 0 ||
            response.status != 200)
            s_die ("publish on A", NULL);
        panda_http_response_release (&response);
        bool seen = false;
        while (!seen) {
            zmsg_t *msg = zmsg_recv (events);
            if (!msg)
                s_die ("no STORED on B within 10 s", NULL);
            zframe_t *verb = zmsg_first (msg), *body_frame = zmsg_next (msg);
            panda_error_t e;
            panda_msg_t *event = verb ? panda_msg_decode (zframe_data (verb), zframe_size (verb),
                                                          body_frame ? zframe_data (body_frame) : NULL,
                                                          body_frame ? zframe_size (body_frame) : 0, &e)
                                      : NULL;
            size_t len;
            seen =
                event && panda_msg_id (event) == PANDA_MSG_STORED &&
                memcmp (panda_msg_stored_operation_id (event, &len), item->hash.bytes, PANDA_HASH_SIZE) == 0;
            panda_msg_destroy (&event);
            zmsg_destroy (&msg);
        }
        latency[measured++] = (double) (bench_now_ns () - t0) / 1e6;
    }
    qsort (latency, measured, sizeof *latency, s_cmp_double);
    printf ("4 live latency, publish on A (HTTP) -> stored on B, %zu entries one at a time: p50 %.1f ms, p99 "
            "%.1f "
            "ms, max %.1f ms\n",
            measured, latency[measured / 2], latency[measured * 99 / 100], latency[measured - 1]);
    free (latency);
    panda_http_destroy (&http);
    zsock_destroy (&events);
    atomic_store (&proxy.stop, true);
    pthread_join (proxy.thread, NULL);
    close (proxy.listen_fd);
    panda_pandad_stop (&b);
    panda_pandad_stop (&a);
    if (relay)
        s_relay_case (dir, a_db, n + live, (double) n / seconds);
    panda_peer_identity_destroy (&a_id);
    panda_peer_identity_destroy (&b_id);
    for (size_t i = 0; i < n + live; i++) {
        free (items[i].entry);
        free (items[i].op);
    }
    free (items);
    char cmd[600];
    snprintf (cmd, sizeof cmd, "rm -rf %s", dir);
    if (system (cmd) != 0)
        fprintf (stderr, "could not remove %s\n", dir);
    return 0;
}
