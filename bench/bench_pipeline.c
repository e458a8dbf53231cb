/*  bench_pipeline.c - throughput of each stage of the publish pipeline,
    each stage isolated: the bench binds or connects the neighbouring
    stages' endpoints (config keys) and stands in for them.

    1  ingest alone: the bench is the api (DEALER) and the verify workers
       (PULL on the verify endpoints); vs bare panda_operation_decode.
    2  verify pool, 1 and 2 workers: the bench PUSHes to the workers
       (sharded with panda_actor_shard) and is storage (PULL) and the
       replies sink; vs bare crypto_sign_verify_detached on 1 / 2 threads.
    3  storage alone, file database (synchronous=FULL) in a temp dir: the
       bench PUSHes verified PUBLISHes with 1..512 in flight and counts the
       ARGS answers; batch sizes are counted from storage's debug log line
       per commit.
    4  the whole pipeline without HTTP (DEALERs -> ingest -> verify x2 ->
       storage) with 1, 8, 64 requests in flight: publishes/s, latency,
       and as its floor a ring of 4 forwarding threads (the same 5 message
       hops a publish makes, no work) and the same pipeline on
       sqlite::memory: (no fsync).
    Every case prints process CPU (user+sys) and context switches per item.

    Entries are pre-signed with our lib: LOGS keys, one log each, every log
    a schema_field_definition_v1 CREATE then UPDATEs, ordered round-robin
    over the logs. Every answer is checked (ARGS with the right seq num);
    anything else stops the bench.

    usage: bench_pipeline [--runs N] [--entries N] [--stage 1..4] [--case ID] */
#define _GNU_SOURCE //  syscall (SYS_gettid)
#include "bench_util.h"
#include "panda_actors.h"
#include "panda_pandad.h"
#include "panda/panda_log_writer.h"
#include "panda/panda_operation.h"

#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stddef.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#define S_RUNS_MAX 15
#define S_LOGS 256 //  keys (one log each); a multiple of every in-flight count
#define S_WINDOW_MAX 512
#define S_HOPS 4 //  forwarders in the ring: ingest, verify, storage, ingest
#define S_TIMEOUT_MS 10000
#define S_STREAM_WINDOW 256 //  in flight when only throughput matters
#define S_IDENTITY "bench"

typedef struct {
    uint8_t *entry, *op, *body; //  body: the PUBLISH msgpack, req = index + 1
    size_t entry_len, op_len, body_len;
    uint64_t seq;
} s_item_t;

typedef struct {
    s_item_t *items;
    size_t count;
    int runs;
    const char *only; //  run only this case id (for perf), or NULL
    char dir[64]; //  temp dir for databases and captured logs
} s_bench_t;

//  Threads whose CPU time is counted apart: the bench (api stand-in), and
//  the actors, told apart by the threads each start added.
typedef enum { S_BENCH, S_INGEST, S_VERIFY, S_STORAGE, S_OTHER, S_ROLES } s_role_t;
#define S_ROLE_TIDS 8

typedef struct {
    int tids[S_ROLES][S_ROLE_TIDS];
    size_t count[S_ROLES];
    uint64_t ns[S_ROLES]; //  CPU time when the clock started
} s_roles_t;

typedef struct {
    struct rusage ru;
    uint64_t ns;
    s_roles_t roles;
} s_clock_t;

//  What one run measured.
typedef struct {
    double rate, cpu_us, sys_share, csw, batch, p50_ms, p99_ms;
    double role_us[S_ROLES]; //  CPU per item by thread role
} s_run_t;

static void
s_die (const char *what, const char *detail)
{
    fprintf (stderr, "bench_pipeline: %s: %s\n", what, detail ? detail : "failed");
    exit (1);
}

static void s_roles_start (s_roles_t *self);
static void s_roles_stop (const s_roles_t *self, size_t n, s_run_t *run);

static void
s_clock_start (s_clock_t *c)
{
    s_roles_start (&c->roles);
    getrusage (RUSAGE_SELF, &c->ru);
    c->ns = bench_now_ns ();
}

static double
s_tv (struct timeval tv)
{
    return (double) tv.tv_sec * 1e6 + (double) tv.tv_usec;
}

//  Rate of n items since c; CPU and context switches per item.
static void
s_clock_stop (const s_clock_t *c, size_t n, s_run_t *run)
{
    uint64_t ns = bench_now_ns ();
    struct rusage ru;
    getrusage (RUSAGE_SELF, &ru);
    double user = s_tv (ru.ru_utime) - s_tv (c->ru.ru_utime),
           sys = s_tv (ru.ru_stime) - s_tv (c->ru.ru_stime);
    run->rate = (double) n * 1e9 / (double) (ns - c->ns);
    run->cpu_us = (user + sys) / (double) n;
    run->sys_share = user + sys > 0 ? sys / (user + sys) : 0;
    run->csw = (double) (ru.ru_nvcsw + ru.ru_nivcsw - c->ru.ru_nvcsw - c->ru.ru_nivcsw) / (double) n;
    s_roles_stop (&c->roles, n, run);
}

//  The process's thread ids; returns how many (at most max).
static size_t
s_tasks (int *tids, size_t max)
{
    DIR *dir = opendir ("/proc/self/task");
    size_t n = 0;
    struct dirent *d;
    while (dir && (d = readdir (dir)) && n < max)
        if (d->d_name[0] != '.')
            tids[n++] = atoi (d->d_name);
    if (dir)
        closedir (dir);
    return n;
}

static void s_roles_add (s_roles_t *self, s_role_t role);

//  Start counting threads: the calling thread is the bench, the ones that
//  exist already (ZeroMQ's) are "other".
static void
s_roles_begin (s_roles_t *self)
{
    memset (self, 0, sizeof *self);
    self->tids[S_BENCH][0] = (int) syscall (SYS_gettid);
    self->count[S_BENCH] = 1;
    s_roles_add (self, S_OTHER);
}

//  Attribute the threads that appeared since the last call to role.
static void
s_roles_add (s_roles_t *self, s_role_t role)
{
    int tids[256];
    size_t n = s_tasks (tids, 256);
    for (size_t i = 0; i < n; i++) {
        bool known = false;
        for (int r = 0; r < S_ROLES; r++)
            for (size_t j = 0; j < self->count[r]; j++)
                known |= self->tids[r][j] == tids[i];
        if (!known && self->count[role] < S_ROLE_TIDS && role != S_BENCH)
            self->tids[role][self->count[role]++] = tids[i];
    }
}

//  CPU nanoseconds of role's threads (schedstat: time on CPU).
static uint64_t
s_role_ns (const s_roles_t *self, s_role_t role)
{
    uint64_t total = 0;
    for (size_t j = 0; j < self->count[role]; j++) {
        char path[64];
        snprintf (path, sizeof path, "/proc/self/task/%d/schedstat", self->tids[role][j]);
        FILE *f = fopen (path, "r");
        unsigned long long ns = 0;
        if (f && fscanf (f, "%llu", &ns) == 1)
            total += ns;
        if (f)
            fclose (f);
    }
    return total;
}

static void
s_roles_start (s_roles_t *self)
{
    for (int r = 0; r < S_ROLES; r++)
        self->ns[r] = s_role_ns (self, (s_role_t) r);
}

static void
s_roles_stop (const s_roles_t *self, size_t n, s_run_t *run)
{
    for (int r = 0; r < S_ROLES; r++)
        run->role_us[r] = (double) (s_role_ns (self, (s_role_t) r) - self->ns[r]) / 1e3 / (double) n;
}

//  ----------------------------------------------------------------------
//  Workload

static panda_operation_t *
s_make_operation (size_t log, uint64_t seq, const panda_hash_t *previous)
{
    panda_error_t err;
    panda_operation_t *op = bench_field_operation (log, seq, previous, &err);
    if (!op)
        s_die ("operation", err.message);
    return op;
}

static uint8_t *
s_dup (const void *bytes, size_t len)
{
    uint8_t *copy = malloc (len ? len : 1);
    if (!copy)
        s_die ("out of memory", NULL);
    memcpy (copy, bytes, len);
    return copy;
}

//  count entries, item i of log i % S_LOGS at seq i / S_LOGS + 1.
static void
s_make_items (s_bench_t *self)
{
    panda_keypair_t *keys[S_LOGS];
    panda_log_writer_t *writers[S_LOGS];
    for (size_t l = 0; l < S_LOGS; l++) {
        keys[l] = panda_keypair_new ();
        writers[l] = keys[l] ? panda_log_writer_new (keys[l], 0) : NULL;
        if (!writers[l])
            s_die ("out of memory", NULL);
    }
    self->items = calloc (self->count, sizeof *self->items);
    for (size_t i = 0; i < self->count; i++) {
        s_item_t *item = &self->items[i];
        size_t log = i % S_LOGS;
        item->seq = i / S_LOGS + 1;
        panda_operation_t *op = s_make_operation (
            log, item->seq, item->seq > 1 ? panda_log_writer_hash (writers[log], item->seq - 1) : NULL);
        const uint8_t *op_bytes = panda_operation_bytes (op, &item->op_len);
        panda_error_t err;
        panda_entry_t *entry = panda_log_writer_sign (writers[log], op_bytes, item->op_len, &err);
        if (!entry)
            s_die ("entry", err.message);
        const uint8_t *entry_bytes = panda_entry_bytes (entry, &item->entry_len);
        item->entry = s_dup (entry_bytes, item->entry_len);
        item->op = s_dup (op_bytes, item->op_len);
        panda_msg_t *msg =
            panda_msg_publish_new ((uint64_t) i + 1, item->entry, item->entry_len, item->op, item->op_len);
        const uint8_t *body = msg ? panda_msg_body (msg, &item->body_len) : NULL;
        if (!body)
            s_die ("message", NULL);
        item->body = s_dup (body, item->body_len);
        panda_msg_destroy (&msg);
        panda_entry_destroy (&entry);
        panda_operation_destroy (&op);
    }
    for (size_t l = 0; l < S_LOGS; l++) {
        panda_log_writer_destroy (&writers[l]);
        panda_keypair_destroy (&keys[l]);
    }
}

//  ----------------------------------------------------------------------
//  Sockets and actors

//  A config with endpoints of its own for each run.
static panda_config_t *
s_config (const char *database_url)
{
    panda_error_t err;
    panda_config_t *config = panda_pandad_inproc_config ("bench", database_url, &err);
    if (!config)
        s_die ("config", err.message);
    return config;
}

static zactor_t *
s_start (zactor_fn *fn, panda_actor_args_t *args, const char *name)
{
    panda_error_t err;
    zactor_t *actor = panda_actor_start (fn, args, name, &err);
    if (!actor)
        s_die ("start", err.message);
    return actor;
}

static zsock_t *
s_socket (int type, bool bind, const char *endpoint)
{
    zsock_t *sock = panda_actor_socket (type, bind, endpoint);
    if (!sock)
        s_die (bind ? "bind" : "connect", endpoint);
    return sock;
}

static zsock_t *
s_verify_socket (const panda_config_t *config, unsigned index, int type, bool bind)
{
    char endpoint[256];
    if (panda_actor_verify_endpoint (config, index, endpoint, sizeof endpoint))
        s_die ("verify endpoint", config->verify_endpoint);
    return s_socket (type, bind, endpoint);
}

//  Send item's PUBLISH, behind a routing identity when the receiver is a
//  stage after ingest.
static void
s_send (zsock_t *sock, const s_item_t *item, bool identity)
{
    void *h = zsock_resolve (sock);
    if ((identity && zmq_send (h, S_IDENTITY, strlen (S_IDENTITY), ZMQ_SNDMORE) < 0) ||
        zmq_send (h, "PUBLISH", 7, ZMQ_SNDMORE) < 0 || zmq_send (h, item->body, item->body_len, 0) < 0)
        s_die ("send", zmq_strerror (zmq_errno ()));
}

//  Wait for a readable socket of poller, or die.
static zsock_t *
s_wait (zpoller_t *poller)
{
    zsock_t *which = zpoller_wait (poller, S_TIMEOUT_MS);
    if (!which)
        s_die ("no answer within the timeout", zpoller_terminated (poller) ? "interrupted" : "timeout");
    return which;
}

//  An answer for the item it names must be ARGS for the entry after it.
static void
s_check_args (panda_msg_t *reply, const s_bench_t *self, size_t *index)
{
    if (!reply)
        s_die ("answer", "malformed");
    if (panda_msg_id (reply) == PANDA_MSG_FAILED)
        s_die ("publish failed", panda_msg_failed_message (reply));
    uint64_t req = panda_msg_id (reply) == PANDA_MSG_ARGS ? panda_msg_args_req (reply) : 0;
    if (req == 0 || req > self->count || panda_msg_args_log_id (reply) != 0 ||
        panda_msg_args_seq_num (reply) != self->items[req - 1].seq + 1)
        s_die ("answer", "not the next arguments of the published entry");
    *index = (size_t) req - 1;
}

//  ----------------------------------------------------------------------
//  Stage 1: ingest alone

static void
s_ingest_run (const s_bench_t *self, size_t total, s_run_t *run)
{
    enum { WORKERS = 2 };
    panda_config_t *config = s_config ("sqlite::memory:");
    zsock_t *verify[WORKERS];
    s_clock_t clock;
    s_roles_begin (&clock.roles);
    zpoller_t *poller = zpoller_new (NULL);
    size_t want[WORKERS] = {0}, got[WORKERS] = {0};
    for (unsigned k = 0; k < WORKERS; k++) {
        verify[k] = s_verify_socket (config, k, ZMQ_PULL, true);
        zpoller_add (poller, verify[k]);
    }
    for (size_t i = 0; i < total; i++) {
        const s_item_t *item = &self->items[i % self->count];
        want[panda_actor_shard (item->entry, item->entry_len, WORKERS)]++;
    }
    panda_actor_args_t args = {.config = config, .workers = WORKERS};
    zactor_t *ingest = s_start (panda_ingest_actor, &args, "ingest");
    s_roles_add (&clock.roles, S_INGEST);
    zsock_t *api = s_socket (ZMQ_DEALER, false, config->ingest_endpoint);
    s_clock_start (&clock);
    size_t sent = 0, received = 0;
    while (received < total) {
        while (sent < total && sent - received < S_STREAM_WINDOW)
            s_send (api, &self->items[sent++ % self->count], false);
        zsock_t *which = s_wait (poller);
        do {
            zmsg_t *msg = zmsg_recv (which);
            zmsg_destroy (&msg);
            got[which == verify[1]]++;
            received++;
        } while (zsock_events (which) & ZMQ_POLLIN);
    }
    s_clock_stop (&clock, total, run);
    if (got[0] != want[0] || got[1] != want[1])
        s_die ("ingest", "entries reached the wrong verify worker");
    zsock_destroy (&api);
    zactor_destroy (&ingest);
    zpoller_destroy (&poller);
    for (unsigned k = 0; k < WORKERS; k++)
        zsock_destroy (&verify[k]);
    panda_config_destroy (&config);
}

//  Bare operation decoding of total operations.
static double
s_decode_run (const s_bench_t *self, size_t total)
{
    uint64_t start = bench_now_ns ();
    for (size_t i = 0; i < total; i++) {
        const s_item_t *item = &self->items[i % self->count];
        panda_error_t err;
        panda_operation_t *op = panda_operation_decode (item->op, item->op_len, &err);
        if (!op)
            s_die ("decode", err.message);
        panda_operation_destroy (&op);
    }
    return (double) total * 1e9 / (double) (bench_now_ns () - start);
}

//  ----------------------------------------------------------------------
//  Stage 2: the verify pool

static void
s_verify_run (const s_bench_t *self, unsigned workers, size_t total, s_run_t *run)
{
    enum { WORKERS_MAX = 2 };
    panda_config_t *config = s_config ("sqlite::memory:");
    s_clock_t clock;
    s_roles_begin (&clock.roles);
    zsock_t *storage = s_socket (ZMQ_PULL, true, config->storage_endpoint);
    zsock_t *replies = s_socket (ZMQ_PULL, true, config->replies_endpoint);
    zactor_t *actors[WORKERS_MAX];
    panda_actor_args_t args[WORKERS_MAX];
    zsock_t *feed[WORKERS_MAX];
    for (unsigned k = 0; k < workers; k++) {
        args[k] = (panda_actor_args_t){.config = config, .index = k};
        actors[k] = s_start (panda_verify_actor, &args[k], "verify");
        s_roles_add (&clock.roles, S_VERIFY);
        feed[k] = s_verify_socket (config, k, ZMQ_PUSH, false);
    }
    zpoller_t *poller = zpoller_new (storage, replies, NULL);
    s_clock_start (&clock);
    size_t sent = 0, received = 0;
    while (received < total) {
        while (sent < total && sent - received < S_STREAM_WINDOW) {
            const s_item_t *item = &self->items[sent++];
            s_send (feed[panda_actor_shard (item->entry, item->entry_len, workers)], item, true);
        }
        zsock_t *which = s_wait (poller);
        if (which == replies)
            s_die ("verify", "an entry was rejected");
        do {
            zmsg_t *msg = zmsg_recv (which);
            zmsg_destroy (&msg);
            received++;
        } while (zsock_events (which) & ZMQ_POLLIN);
    }
    s_clock_stop (&clock, total, run);
    zpoller_destroy (&poller);
    for (unsigned k = 0; k < workers; k++) {
        zsock_destroy (&feed[k]);
        zactor_destroy (&actors[k]);
    }
    zsock_destroy (&storage);
    zsock_destroy (&replies);
    panda_config_destroy (&config);
}

//  Bare verifications/s on threads threads, n each.
static double
s_bare_verify (unsigned threads, size_t n)
{
    double rate = bench_verify_threads (threads, n);
    if (rate == 0)
        s_die ("bare verify", "a signature did not verify");
    return rate;
}

//  ----------------------------------------------------------------------
//  Storage's batch sizes: its debug line per commit, captured from stderr.

static int s_saved_stderr = -1;

static void
s_capture_begin (const s_bench_t *self)
{
    char path[128];
    snprintf (path, sizeof path, "%s/log", self->dir);
    fflush (stderr);
    s_saved_stderr = dup (STDERR_FILENO);
    int fd = open (path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (s_saved_stderr < 0 || fd < 0 || dup2 (fd, STDERR_FILENO) < 0)
        s_die ("capture stderr", path);
    close (fd);
    panda_log_set_level (PANDA_LOG_DEBUG);
}

//  Mean batch size of the commits logged since s_capture_begin (0: none).
static double
s_capture_end (const s_bench_t *self)
{
    panda_log_set_level (PANDA_LOG_WARN);
    fflush (stderr);
    dup2 (s_saved_stderr, STDERR_FILENO);
    close (s_saved_stderr);
    char path[128], line[1024];
    snprintf (path, sizeof path, "%s/log", self->dir);
    FILE *log = fopen (path, "r");
    size_t commits = 0, entries = 0;
    while (log && fgets (line, sizeof line, log)) {
        const char *at = strstr (line, "committed a batch of ");
        if (at) {
            commits++;
            entries += strtoul (at + strlen ("committed a batch of "), NULL, 10);
        } else if (!strstr (line, " INFO ") && !strstr (line, " DEBUG "))
            fputs (line, stdout); //  a warning or error of an actor
    }
    if (log)
        fclose (log);
    unlink (path);
    return commits ? (double) entries / (double) commits : 0;
}

static void
s_remove_db (const char *path)
{
    char name[160];
    unlink (path);
    snprintf (name, sizeof name, "%s-wal", path);
    unlink (name);
    snprintf (name, sizeof name, "%s-shm", path);
    unlink (name);
}

//  A database url: a fresh file in the temp dir, or in memory.
static void
s_database (const s_bench_t *self, bool file, char *url, size_t size)
{
    char path[128];
    snprintf (path, sizeof path, "%s/bench.db", self->dir);
    s_remove_db (path);
    snprintf (url, size, file ? "sqlite:%s" : "sqlite::memory:", path);
}

//  ----------------------------------------------------------------------
//  Stage 3: storage alone

static void
s_storage_run (const s_bench_t *self, size_t window, size_t total, bool file, s_run_t *run)
{
    char url[160];
    s_database (self, file, url, sizeof url);
    panda_config_t *config = s_config (url);
    s_clock_t clock;
    s_roles_begin (&clock.roles);
    zsock_t *replies = s_socket (ZMQ_PULL, true, config->replies_endpoint);
    panda_actor_args_t args = {.config = config};
    s_capture_begin (self);
    zactor_t *storage = s_start (panda_storage_actor, &args, "storage");
    s_roles_add (&clock.roles, S_STORAGE);
    zsock_t *feed = s_socket (ZMQ_PUSH, false, config->storage_endpoint);
    zpoller_t *poller = zpoller_new (replies, NULL);
    s_clock_start (&clock);
    size_t sent = 0, received = 0, index;
    while (received < total) {
        while (sent < total && sent - received < window)
            s_send (feed, &self->items[sent++], true);
        s_wait (poller);
        do {
            zframe_t *identity = NULL;
            panda_msg_t *reply = panda_actor_recv (replies, &identity);
            s_check_args (reply, self, &index);
            zframe_destroy (&identity);
            panda_msg_destroy (&reply);
            received++;
        } while (zsock_events (replies) & ZMQ_POLLIN);
    }
    s_clock_stop (&clock, total, run);
    zactor_destroy (&storage);
    run->batch = s_capture_end (self);
    zpoller_destroy (&poller);
    zsock_destroy (&feed);
    zsock_destroy (&replies);
    panda_config_destroy (&config);
    s_database (self, file, url, sizeof url);
}

//  ----------------------------------------------------------------------
//  Stage 4: the pipeline, and a ring of forwarders as its floor

static void
s_latencies (double *ms, size_t n, s_run_t *run)
{
    bench_median (ms, n); //  sorts
    run->p50_ms = ms[n / 2];
    run->p99_ms = ms[n * 99 / 100];
}

//  One DEALER (an api worker's socket) with window requests in flight, in
//  window lanes: lane d publishes items d, d + window, ... (its own logs,
//  in order), the next one when the previous one is answered. (One DEALER
//  per lane polled by one thread would measure zmq_poll over many
//  sockets, which the api's one-socket-per-thread workers do not pay.)
static void
s_drive (const s_bench_t *self, const panda_config_t *config, const s_roles_t *roles, size_t window,
         size_t total, s_run_t *run)
{
    zsock_t *api = s_socket (ZMQ_DEALER, false, config->ingest_endpoint);
    zpoller_t *poller = zpoller_new (api, NULL);
    uint64_t *sent_at = calloc (total, sizeof *sent_at);
    double *ms = calloc (total, sizeof *ms);
    size_t next[S_WINDOW_MAX];
    s_clock_t clock = {.roles = *roles};
    s_clock_start (&clock);
    for (size_t d = 0; d < window && d < total; d++) {
        sent_at[d] = bench_now_ns ();
        s_send (api, &self->items[next[d] = d], false);
    }
    for (size_t received = 0; received < total; received++) {
        if (!(zsock_events (api) & ZMQ_POLLIN))
            s_wait (poller);
        size_t index;
        panda_msg_t *reply = panda_actor_recv (api, NULL);
        s_check_args (reply, self, &index);
        panda_msg_destroy (&reply);
        size_t d = index % window;
        if (index != next[d])
            s_die ("pipeline", "answers out of order");
        ms[received] = (double) (bench_now_ns () - sent_at[index]) / 1e6;
        if ((next[d] += window) < total) {
            sent_at[next[d]] = bench_now_ns ();
            s_send (api, &self->items[next[d]], false);
        }
    }
    s_clock_stop (&clock, total, run);
    s_latencies (ms, total, run);
    zpoller_destroy (&poller);
    zsock_destroy (&api);
    free (sent_at);
    free (ms);
}

static void
s_pipeline_run (const s_bench_t *self, size_t window, size_t total, bool file, s_run_t *run)
{
    enum { WORKERS = 2 };
    char url[160];
    s_database (self, file, url, sizeof url);
    panda_config_t *config = s_config (url);
    panda_actor_args_t storage_args = {.config = config}, verify_args[WORKERS],
                       ingest_args = {.config = config, .workers = WORKERS};
    zactor_t *verify[WORKERS];
    s_roles_t roles;
    s_roles_begin (&roles);
    s_capture_begin (self);
    zactor_t *storage = s_start (panda_storage_actor, &storage_args, "storage");
    s_roles_add (&roles, S_STORAGE);
    for (unsigned k = 0; k < WORKERS; k++) {
        verify_args[k] = (panda_actor_args_t){.config = config, .index = k};
        verify[k] = s_start (panda_verify_actor, &verify_args[k], "verify");
        s_roles_add (&roles, S_VERIFY);
    }
    zactor_t *ingest = s_start (panda_ingest_actor, &ingest_args, "ingest");
    s_roles_add (&roles, S_INGEST);
    s_drive (self, config, &roles, window, total, run);
    zactor_destroy (&ingest);
    for (unsigned k = 0; k < WORKERS; k++)
        zactor_destroy (&verify[k]);
    zactor_destroy (&storage);
    run->batch = s_capture_end (self);
    panda_config_destroy (&config);
    s_database (self, file, url, sizeof url);
}

//  A forwarder: PULL from args[0], PUSH everything to args[1].
static void
s_hop_actor (zsock_t *pipe, void *args)
{
    char **endpoints = args;
    zsock_t *in = s_socket (ZMQ_PULL, true, endpoints[0]);
    zsock_t *out = s_socket (ZMQ_PUSH, false, endpoints[1]);
    zpoller_t *poller = zpoller_new (pipe, in, NULL);
    zsock_signal (pipe, 0);
    while (zpoller_wait (poller, -1) == in) {
        zmsg_t *msg = zmsg_recv (in);
        if (msg && zmsg_send (&msg, out))
            zmsg_destroy (&msg);
    }
    zpoller_destroy (&poller);
    zsock_destroy (&in);
    zsock_destroy (&out);
}

//  window messages (a PUBLISH with its identity) in flight round a ring of
//  S_HOPS forwarding threads: the hops of a publish, with no work.
static void
s_ring_run (const s_bench_t *self, size_t window, size_t total, bool file, s_run_t *run)
{
    (void) file;
    static int n;
    char endpoints[S_HOPS + 1][64];
    char *pairs[S_HOPS][2];
    zactor_t *hops[S_HOPS];
    n++;
    for (int i = 0; i <= S_HOPS; i++)
        snprintf (endpoints[i], sizeof endpoints[i], "inproc://ring%d-%d", n, i);
    s_clock_t clock;
    s_roles_begin (&clock.roles);
    zsock_t *back = s_socket (ZMQ_PULL, true, endpoints[S_HOPS]);
    for (int i = 0; i < S_HOPS; i++) {
        pairs[i][0] = endpoints[i];
        pairs[i][1] = endpoints[i + 1];
        hops[i] = zactor_new (s_hop_actor, pairs[i]);
        s_roles_add (&clock.roles, S_INGEST); //  forwarders count as "hops"
    }
    zsock_t *feed = s_socket (ZMQ_PUSH, false, endpoints[0]);
    zpoller_t *poller = zpoller_new (back, NULL);
    uint64_t *sent_at = calloc (total, sizeof *sent_at);
    double *ms = calloc (total, sizeof *ms);
    s_clock_start (&clock);
    size_t sent = 0, received = 0;
    while (received < total) {
        while (sent < total && sent - received < window) {
            sent_at[sent] = bench_now_ns ();
            s_send (feed, &self->items[sent++], true);
        }
        s_wait (poller);
        zmsg_t *msg = zmsg_recv (back);
        zmsg_destroy (&msg);
        ms[received] = (double) (bench_now_ns () - sent_at[received]) / 1e6;
        received++;
    }
    s_clock_stop (&clock, total, run);
    s_latencies (ms, total, run);
    zpoller_destroy (&poller);
    zsock_destroy (&feed);
    for (int i = 0; i < S_HOPS; i++)
        zactor_destroy (&hops[i]);
    zsock_destroy (&back);
    free (sent_at);
    free (ms);
}

//  ----------------------------------------------------------------------
//  Report

//  Median of field over runs.
static double
s_median_of (const s_run_t *runs, int n, size_t offset)
{
    double values[S_RUNS_MAX];
    for (int r = 0; r < n; r++)
        values[r] = *(const double *) ((const char *) &runs[r] + offset);
    return bench_median (values, (size_t) n);
}

#define S_MEDIAN(runs, n, field) s_median_of (runs, n, offsetof (s_run_t, field))

//  One line: median rate, its ratio to base (if any), then the counters.
static void
s_report (const char *id, const char *name, const s_run_t *runs, int n, double base, const char *base_name)
{
    double rate = S_MEDIAN (runs, n, rate), batch = S_MEDIAN (runs, n, batch),
           p50 = S_MEDIAN (runs, n, p50_ms);
    printf ("%-4s %-40s %9.0f /s", id, name, rate);
    if (base > 0)
        printf (" %6.2fx %-10s", rate / base, base_name);
    else
        printf (" %18s", "");
    printf (" cpu %6.1f us sys %3.0f%% csw %5.2f", S_MEDIAN (runs, n, cpu_us),
            100 * S_MEDIAN (runs, n, sys_share), S_MEDIAN (runs, n, csw));
    if (batch > 0)
        printf (" batch %6.1f", batch);
    if (p50 > 0)
        printf (" p50 %6.3f p99 %6.3f ms", p50, S_MEDIAN (runs, n, p99_ms));
    printf ("\n     thread CPU per item (us):");
    static const char *roles[S_ROLES] = {"bench", "ingest", "verify", "storage", "zmq-io"};
    for (int r = 0; r < S_ROLES; r++)
        printf (" %s %.1f", roles[r], S_MEDIAN (runs, n, role_us[r]));
    printf ("\n");
    fflush (stdout);
}

typedef void (s_case_fn) (const s_bench_t *self, size_t window, size_t total, bool file, s_run_t *run);

//  Run a case self->runs times and report it.
static void
s_case (const s_bench_t *self, const char *id, const char *name, s_case_fn *fn, size_t window, size_t total,
        bool file)
{
    s_run_t runs[S_RUNS_MAX];
    if (self->only && strcmp (self->only, id) != 0)
        return;
    total = total < self->count ? total : self->count;
    char label[96];
    snprintf (label, sizeof label, "%s, %zu in flight (%zu)", name, window, total);
    for (int r = 0; r < self->runs; r++) {
        runs[r] = (s_run_t){0};
        fn (self, window, total, file, &runs[r]);
    }
    s_report (id, label, runs, self->runs, 0, NULL);
}

//  ----------------------------------------------------------------------

static void
s_stage_ingest (const s_bench_t *self)
{
    size_t total = 4 * self->count;
    s_run_t runs[S_RUNS_MAX], bare[S_RUNS_MAX];
    for (int r = 0; r < self->runs; r++) {
        bare[r] = (s_run_t){.rate = s_decode_run (self, total)};
        runs[r] = (s_run_t){0};
        s_ingest_run (self, total, &runs[r]);
    }
    double base = S_MEDIAN (bare, self->runs, rate);
    printf ("1.0  %-40s %9.0f /s\n", "bare panda_operation_decode", base);
    s_report ("1.1", "ingest: decode + schema + shard + hop", runs, self->runs, base, "decode");
}

static void
s_stage_verify (const s_bench_t *self)
{
    size_t total = self->count < 4096 ? self->count : 4096;
    for (unsigned workers = 1; workers <= 2; workers++) {
        s_run_t runs[S_RUNS_MAX], bare[S_RUNS_MAX];
        for (int r = 0; r < self->runs; r++) {
            bare[r] = (s_run_t){.rate = s_bare_verify (workers, total / workers)};
            runs[r] = (s_run_t){0};
            s_verify_run (self, workers, total, &runs[r]);
        }
        double base = S_MEDIAN (bare, self->runs, rate);
        char id[8], name[64];
        snprintf (id, sizeof id, "2.%u", 2 * workers - 2);
        snprintf (name, sizeof name, "bare verify, %u thread%s", workers, workers > 1 ? "s" : "");
        printf ("%-4s %-40s %9.0f /s\n", id, name, base);
        snprintf (id, sizeof id, "2.%u", 2 * workers - 1);
        snprintf (name, sizeof name, "verify pool, %u worker%s (%zu)", workers, workers > 1 ? "s" : "",
                  total);
        s_report (id, name, runs, self->runs, base, "bare");
    }
}

static void
s_stage_storage (const s_bench_t *self)
{
    s_case (self, "3.1", "storage, file", s_storage_run, 1, 600, true);
    s_case (self, "3.2", "storage, file", s_storage_run, 8, 2400, true);
    s_case (self, "3.3", "storage, file", s_storage_run, 64, 8192, true);
    s_case (self, "3.4", "storage, file", s_storage_run, 512, 8192, true);
    s_case (self, "3.5", "storage, memory", s_storage_run, 1, 2400, false);
    s_case (self, "3.6", "storage, memory", s_storage_run, 64, 8192, false);
}

static void
s_stage_pipeline (const s_bench_t *self)
{
    s_case (self, "4.1", "ring of 4 forwarders", s_ring_run, 1, 4096, false);
    s_case (self, "4.2", "ring of 4 forwarders", s_ring_run, 8, 8192, false);
    s_case (self, "4.3", "ring of 4 forwarders", s_ring_run, 64, 8192, false);
    s_case (self, "4.4", "pipeline, file", s_pipeline_run, 1, 600, true);
    s_case (self, "4.5", "pipeline, file", s_pipeline_run, 8, 2400, true);
    s_case (self, "4.6", "pipeline, file", s_pipeline_run, 64, 8192, true);
    s_case (self, "4.7", "pipeline, memory", s_pipeline_run, 1, 2400, false);
    s_case (self, "4.8", "pipeline, memory", s_pipeline_run, 8, 4096, false);
    s_case (self, "4.9", "pipeline, memory", s_pipeline_run, 64, 8192, false);
}

int
main (int argc, char *argv[])
{
    s_bench_t self = {.runs = 3, .count = 8192};
    int stage = 0;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp (argv[i], "--runs") == 0)
            self.runs = atoi (argv[i + 1]);
        else if (strcmp (argv[i], "--entries") == 0)
            self.count = (size_t) atol (argv[i + 1]);
        else if (strcmp (argv[i], "--stage") == 0)
            stage = atoi (argv[i + 1]);
        else if (strcmp (argv[i], "--case") == 0)
            self.only = argv[i + 1];
    }
    if (self.runs < 1 || self.runs > S_RUNS_MAX || self.count < 1024 || stage < 0 || stage > 4) {
        fprintf (stderr,
                 "usage: bench_pipeline [--runs 1..%d] [--entries >=1024] [--stage 1..4] [--case ID]\n",
                 S_RUNS_MAX);
        return 1;
    }
    zsys_handler_set (NULL);
    panda_log_set_level (PANDA_LOG_WARN);
    snprintf (self.dir, sizeof self.dir, "/tmp/bench_pipeline.XXXXXX");
    if (sodium_init () < 0 || !mkdtemp (self.dir))
        s_die ("set-up", self.dir);
    bench_verify_baseline ();
    s_make_items (&self);
    printf ("# %zu pre-signed entries, %d keys x 1 log, median of %d runs, databases in %s\n", self.count,
            S_LOGS, self.runs, self.dir);
    if (stage == 0 || stage == 1)
        s_stage_ingest (&self);
    if (stage == 0 || stage == 2)
        s_stage_verify (&self);
    if (stage == 0 || stage == 3)
        s_stage_storage (&self);
    if (stage == 0 || stage == 4)
        s_stage_pipeline (&self);
    printf ("# every answer was the next arguments of its entry\n");
    for (size_t i = 0; i < self.count; i++) {
        free (self.items[i].entry);
        free (self.items[i].op);
        free (self.items[i].body);
    }
    free (self.items);
    rmdir (self.dir);
    zsys_shutdown ();
    return 0;
}
