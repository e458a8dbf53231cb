/*  bench_e2e.c - publishes/s through a running pandad, held against two
    ceilings measured in the same run.

    A: bare crypto_sign_verify_detached on 2 threads (the machine has 2
       cores): the signature check every publish must pay.
    B: an in-process civetweb with a trivial POST handler answering a fixed
       NextArguments JSON, configured like pandad's HTTP actor (same worker
       thread count, tcp_nodelay, keep-alive), driven by the same load
       generator with the same request bodies: what HTTP alone allows.
    E: pandad end to end. Entries are pre-signed with our lib before any
       timing: LOGS keys with one log each, every log a
       schema_field_definition_v1 CREATE then UPDATEs whose previous is the
       last operation. CONNS threads, each with one keep-alive connection,
       own disjoint sets of logs and send shirokuma's Publish document
       (node-api.md §8) for their logs round-robin, each log in order. Every
       answer must be the NextArguments that follow the entry just sent
       (logId, seqNum, backlink, skiplink), else the bench fails loudly.
    Each E run spawns a fresh pandad on a fresh data dir; the medians of
    RUNS runs are printed.

    --verify-procs: E becomes four layouts of the same node (actors api,
    ingest, verify x2, storage, materialize; no replicate), each run
    trying them in a rotated order so that each is measured beside the
    others on the same load of the shared machine:
       1  one process, inproc:// endpoints (the default node)
       2  one process, ipc:// endpoints (what crossing processes costs
          without crossing them)
       3  the verify pool (2 workers) in a second pandad (--actors verify)
       4  two verify pandads of one worker each (verify-0 and verify-1)
    Besides the medians it prints the median of each run's ratio to
    layout 1 (paired). Per run it also prints, per request, the CPU
    time and times scheduled of each server thread by name (schedstat),
    the load generator's CPU and how busy the machine was (/proc/stat).

    usage: bench_e2e [--runs N] [--entries N] [--logs N] [--conns N]
                     [--http-threads N] [--seconds S] [--ceiling-seconds S]
                     [--verify-procs 1]
    --http-threads sets pandad's http_threads and ceiling B's num_threads.
    pandad is $PANDA_BIN_DIR/pandad, else <dir of this binary>/../bin/pandad
    (tests/panda_pandad.c).                                                 */
#include "bench_util.h"
#include "panda/panda_entry.h"
#include "panda/panda_hex.h"
#include "panda/panda_keypair.h"
#include "panda/panda_log_writer.h"
#include "panda/panda_operation.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <civetweb.h>
#include <jansson.h>
#include <sodium.h>

#include "panda_http.h"
#include "panda_pandad.h"

#define S_RUNS_MAX 15
#define S_CONNS_MAX 256
#define S_LOGS_MAX 4096
#define S_VERIFY_THREADS 2
#define S_HTTP_THREADS 64 //  pandad's default http_threads (lib/config/panda_config.c)
#define S_STARTUP_TIMEOUT_MS 10000
#define S_REQUEST_TIMEOUT_MS 10000

typedef struct {
    int runs;
    size_t entries, logs, conns, http_threads;
    double seconds, ceiling_seconds;
    bool verify_procs;
} s_opts_t;

//  One publish request and the NextArguments that must answer it.
typedef struct {
    char *body;
    size_t body_len;
    char log_id[24], seq_num[24];
    char backlink[PANDA_HASH_HEX_SIZE + 1], skiplink[PANDA_HASH_HEX_SIZE + 1]; //  "" = null
} s_request_t;

//  The request sequence of one connection.
typedef struct {
    s_request_t *requests;
    size_t count;
} s_lane_t;

typedef struct {
    s_lane_t lanes[S_CONNS_MAX];
    size_t conns, total;
} s_work_t;

//  What one drive of the load generator measured.
typedef struct {
    size_t done;
    double seconds, p50_ms, p99_ms, max_ms;
    char error[640]; //  first failure, "" if none (a connection's error plus its number)
    bench_roles_t cpu; //  the server's CPU seconds per thread role while driven
    double client_seconds; //  the load generator's threads (e2e-client)
    double busy; //  share of the machine's CPU time that was busy
} s_result_t;

static void
s_die (const char *fmt, const char *detail)
{
    fprintf (stderr, "bench_e2e: ");
    fprintf (stderr, fmt, detail);
    fprintf (stderr, "\n");
    exit (1);
}

//  ----------------------------------------------------------------------
//  Workload: pre-signed entries, grouped into one lane per connection.

//  bench_field_operation, or die.
static panda_operation_t *
s_make_operation (size_t log, uint64_t seq, const panda_hash_t *previous)
{
    panda_error_t err;
    panda_operation_t *op = bench_field_operation (log, seq, previous, &err);
    if (!op)
        s_die ("operation: %s", err.message);
    return op;
}

//  Shirokuma's Publish body for entry + operation. Caller owns the result.
static char *
s_publish_body (const uint8_t *entry, size_t entry_len, const uint8_t *op, size_t op_len)
{
    char *entry_hex = panda_hex_encode (entry, entry_len), *op_hex = panda_hex_encode (op, op_len);
    json_t *doc = json_pack ("{s:s, s:{s:s, s:s}, s:s}", "query", panda_http_shirokuma_publish, "variables",
                             "entry", entry_hex, "operation", op_hex, "operationName", "Publish");
    char *body = json_dumps (doc, JSON_COMPACT);
    json_decref (doc);
    free (entry_hex);
    free (op_hex);
    if (!body)
        s_die ("%s", "out of memory");
    return body;
}

//  Sign the next entry of a log (the writer knows its links) and fill the
//  request with its body and the NextArguments expected in answer.
static void
s_make_request (s_request_t *req, panda_log_writer_t *writer, size_t log, uint64_t seq)
{
    panda_error_t err;
    panda_operation_t *op =
        s_make_operation (log, seq, seq > 1 ? panda_log_writer_hash (writer, seq - 1) : NULL);
    size_t op_len, entry_len;
    const uint8_t *op_bytes = panda_operation_bytes (op, &op_len);
    panda_entry_t *entry = panda_log_writer_sign (writer, op_bytes, op_len, &err);
    if (!entry)
        s_die ("entry: %s", err.message);
    const uint8_t *entry_bytes = panda_entry_bytes (entry, &entry_len);
    req->body = s_publish_body (entry_bytes, entry_len, op_bytes, op_len);
    req->body_len = strlen (req->body);
    panda_entry_args_t next;
    panda_log_writer_next_args (writer, &next);
    snprintf (req->log_id, sizeof req->log_id, "%" PRIu64, next.log_id);
    snprintf (req->seq_num, sizeof req->seq_num, "%" PRIu64, next.seq_num);
    req->backlink[0] = req->skiplink[0] = 0;
    if (next.has_backlink)
        panda_hash_to_hex (&next.backlink, req->backlink);
    if (next.has_skiplink)
        panda_hash_to_hex (&next.skiplink, req->skiplink);
    panda_entry_destroy (&entry);
    panda_operation_destroy (&op);
}

//  entries over logs (one fresh key each, log id 0); connection c gets the
//  logs l with l % conns == c and sends them round-robin, each in order.
static void
s_make_work (s_work_t *work, const s_opts_t *opts)
{
    size_t per_log = (opts->entries + opts->logs - 1) / opts->logs;
    memset (work, 0, sizeof *work);
    work->conns = opts->conns;
    for (size_t c = 0; c < opts->conns; c++) {
        size_t logs = (opts->logs - c + opts->conns - 1) / opts->conns;
        work->lanes[c].count = logs * per_log;
        work->lanes[c].requests = calloc (logs * per_log, sizeof (s_request_t));
        if (!work->lanes[c].requests)
            s_die ("%s", "out of memory");
        work->total += work->lanes[c].count;
    }
    for (size_t log = 0; log < opts->logs; log++) {
        s_lane_t *lane = &work->lanes[log % opts->conns];
        size_t stride = lane->count / per_log, slot = log / opts->conns;
        panda_keypair_t *key = panda_keypair_new ();
        panda_log_writer_t *writer = panda_log_writer_new (key, 0);
        if (!key || !writer)
            s_die ("%s", "out of memory");
        for (uint64_t seq = 1; seq <= per_log; seq++)
            s_make_request (&lane->requests[(seq - 1) * stride + slot], writer, log, seq);
        panda_log_writer_destroy (&writer);
        panda_keypair_destroy (&key);
    }
}

static void
s_free_work (s_work_t *work)
{
    for (size_t c = 0; c < work->conns; c++) {
        for (size_t i = 0; i < work->lanes[c].count; i++)
            free (work->lanes[c].requests[i].body);
        free (work->lanes[c].requests);
    }
}

//  ----------------------------------------------------------------------
//  Load generator: one thread per connection.

typedef struct {
    const s_lane_t *lane;
    const char *host;
    int port;
    bool check; //  compare answers with the expected NextArguments
    bool repeat; //  loop over the lane until the deadline (ceiling B)
    uint64_t deadline_ns;
    pthread_barrier_t *barrier;
    double *latency_ms; //  one per request done
    size_t capacity, done;
    double cpu_seconds; //  this thread's CPU time while driving
    char error[512];
} s_conn_t;

//  Field of data.publish as text ("" for null), NULL when absent.
static const char *
s_field (json_t *publish, const char *name)
{
    json_t *value = json_object_get (publish, name);
    return json_is_null (value) ? "" : json_string_value (value);
}

//  Check one answer; returns false with self->error set.
static bool
s_check_answer (s_conn_t *self, const s_request_t *req, int status, const char *body, size_t len)
{
    json_error_t jerr;
    json_t *root = json_loadb (body, len, 0, &jerr);
    json_t *publish = json_object_get (json_object_get (root, "data"), "publish");
    bool ok = status == 200 && publish && !json_object_get (root, "errors");
    if (ok && self->check) {
        const char *log_id = s_field (publish, "logId"), *seq_num = s_field (publish, "seqNum"),
                   *backlink = s_field (publish, "backlink"), *skiplink = s_field (publish, "skiplink");
        ok = log_id && seq_num && backlink && skiplink && strcmp (log_id, req->log_id) == 0 &&
             strcmp (seq_num, req->seq_num) == 0 && strcmp (backlink, req->backlink) == 0 &&
             strcmp (skiplink, req->skiplink) == 0;
    }
    if (!ok)
        snprintf (self->error, sizeof self->error, "HTTP %d, expected NextArguments seqNum %s, got: %.*s",
                  status, req->seq_num, (int) (len > 300 ? 300 : len), body ? body : "");
    json_decref (root);
    return ok;
}

static void *
s_conn_run (void *arg)
{
    s_conn_t *self = arg;
    panda_http_t *http = panda_http_connect (self->host, self->port, S_REQUEST_TIMEOUT_MS);
    pthread_barrier_wait (self->barrier);
    uint64_t cpu_start = bench_thread_cpu_ns ();
    if (!http) {
        snprintf (self->error, sizeof self->error, "cannot connect to %s:%d", self->host, self->port);
        return NULL;
    }
    for (size_t i = 0; self->done < self->capacity; i++) {
        if (i == self->lane->count) {
            if (!self->repeat)
                break;
            i = 0;
        }
        const s_request_t *req = &self->lane->requests[i];
        uint64_t start = bench_now_ns ();
        if (start > self->deadline_ns)
            break;
        panda_http_response_t resp;
        if (panda_http_request (http, "POST", "/graphql", "Content-Type: application/json\r\n", req->body,
                                req->body_len, &resp) != 0) {
            snprintf (self->error, sizeof self->error, "request %zu (answer seqNum %s): no HTTP answer",
                      self->done, req->seq_num);
            break;
        }
        bool ok = s_check_answer (self, req, resp.status, resp.body, resp.body_len);
        self->latency_ms[self->done++] = (double) (bench_now_ns () - start) / 1e6;
        panda_http_response_release (&resp);
        if (!ok)
            break;
    }
    self->cpu_seconds = (double) (bench_thread_cpu_ns () - cpu_start) / 1e9;
    panda_http_destroy (&http);
    return NULL;
}

static double
s_percentile (double *sorted, size_t n, double p)
{
    if (n == 0)
        return 0;
    size_t i = (size_t) (p * (double) (n - 1) + 0.5);
    return sorted[i];
}

//  Drive work against host:port. repeat: ceiling mode, loop over the lanes
//  until seconds pass (at most capacity requests per connection); else send
//  every request once, stopping at the deadline.
static void
s_drive (const s_work_t *work, int port, bool repeat, double seconds, s_result_t *result)
{
    s_conn_t conns[S_CONNS_MAX];
    pthread_t threads[S_CONNS_MAX];
    pthread_barrier_t barrier;
    pthread_barrier_init (&barrier, NULL, (unsigned) work->conns + 1);
    memset (result, 0, sizeof *result);
    uint64_t deadline = bench_now_ns () + (uint64_t) (seconds * 1e9);
    for (size_t c = 0; c < work->conns; c++) {
        size_t capacity = repeat ? 2000000 / work->conns : work->lanes[c].count;
        conns[c] = (s_conn_t){.lane = &work->lanes[c],
                              .host = "127.0.0.1",
                              .port = port,
                              .check = !repeat,
                              .repeat = repeat,
                              .deadline_ns = deadline,
                              .barrier = &barrier,
                              .latency_ms = calloc (capacity, sizeof (double)),
                              .capacity = capacity};
        pthread_create (&threads[c], NULL, s_conn_run, &conns[c]);
    }
    double busy0 = 0, all0 = 0, busy1 = 0, all1 = 0;
    pthread_barrier_wait (&barrier);
    uint64_t start = bench_now_ns ();
    bench_cpu_read (&busy0, &all0);
    for (size_t c = 0; c < work->conns; c++)
        pthread_join (threads[c], NULL);
    result->seconds = (double) (bench_now_ns () - start) / 1e9;
    bench_cpu_read (&busy1, &all1);
    for (size_t c = 0; c < work->conns; c++)
        result->client_seconds += conns[c].cpu_seconds;
    result->busy = all1 > all0 ? (busy1 - busy0) / (all1 - all0) : 0;
    pthread_barrier_destroy (&barrier);
    size_t total = 0;
    for (size_t c = 0; c < work->conns; c++)
        total += conns[c].done;
    double *all = malloc ((total + 1) * sizeof (double));
    for (size_t c = 0; c < work->conns; c++) {
        memcpy (all + result->done, conns[c].latency_ms, conns[c].done * sizeof (double));
        result->done += conns[c].done;
        if (!result->error[0] && conns[c].error[0])
            snprintf (result->error, sizeof result->error, "connection %zu: %s", c, conns[c].error);
        free (conns[c].latency_ms);
    }
    bench_median (all, total); //  sorts
    result->p50_ms = s_percentile (all, total, 0.50);
    result->p99_ms = s_percentile (all, total, 0.99);
    result->max_ms = total ? all[total - 1] : 0;
    free (all);
}

//  ----------------------------------------------------------------------
//  Ceiling A: bare verification on S_VERIFY_THREADS threads.

static double
s_ceiling_verify (double seconds)
{
    //  Calibrate the count on one short run, then verify for about seconds.
    double probe = bench_verify_threads (S_VERIFY_THREADS, 500);
    size_t n = probe > 0 ? (size_t) (probe / S_VERIFY_THREADS * seconds) + 1 : 1;
    double rate = bench_verify_threads (S_VERIFY_THREADS, n);
    if (rate == 0)
        s_die ("%s", "verification failed");
    return rate;
}

//  ----------------------------------------------------------------------
//  Ceiling B: in-process civetweb answering a fixed NextArguments.

static const char *s_fixed_answer =
    "{\"data\":{\"publish\":{\"logId\":\"0\",\"seqNum\":\"2\",\"backlink\":"
    "\"00208e7ce9a5bdfcdb1d1bdbcc5f4dc7f1bb5a2d8ec4c6fcb3e9c0d9a3f1a5a7c3e8\","
    "\"skiplink\":null}}}";

static int
s_trivial_handler (struct mg_connection *conn, void *cbdata)
{
    char buf[4096];
    while (mg_read (conn, buf, sizeof buf) > 0)
        ;
    size_t len = strlen (s_fixed_answer);
    mg_send_http_ok (conn, "application/json", (long long) len);
    mg_write (conn, s_fixed_answer, len);
    return 200;
}

static void
s_ceiling_http (const s_work_t *work, const char *threads, double seconds, s_result_t *result)
{
    const char *options[] = {"listening_ports",   "127.0.0.1:0", "num_threads", threads, "tcp_nodelay", "1",
                             "enable_keep_alive", "yes",         NULL};
    struct mg_callbacks callbacks;
    memset (&callbacks, 0, sizeof callbacks);
    struct mg_context *ctx = mg_start (&callbacks, NULL, options);
    struct mg_server_port port;
    if (!ctx || mg_get_server_ports (ctx, 1, &port) != 1)
        s_die ("%s", "civetweb did not start");
    mg_set_request_handler (ctx, "/graphql", s_trivial_handler, NULL);
    bench_roles_t before, after;
    bench_roles_read (getpid (), &before);
    s_drive (work, port.port, true, seconds, result);
    bench_roles_read (getpid (), &after);
    bench_roles_diff (&before, &after, &result->cpu);
    mg_stop (ctx);
}

//  ----------------------------------------------------------------------
//  pandad end to end.

//  One fresh pandad (panda_pandad gives it a fresh data dir), the whole
//  work published once.
static void
s_pandad_run (const s_work_t *work, const char *threads, double seconds, s_result_t *result)
{
    //  All the load comes from one address: lift the per-address limit.
    const char *args[] = {"--http-threads", threads, "--http-max-connections-per-address", "0", NULL};
    panda_pandad_t *node = panda_pandad_start (args, S_STARTUP_TIMEOUT_MS);
    if (!node)
        s_die ("%s", "pandad did not start (its output is above)");
    bench_roles_t before, after;
    int pid = panda_pandad_pid (node);
    bench_roles_read (pid, &before);
    s_drive (work, panda_pandad_port (node), false, seconds, result);
    bench_roles_read (pid, &after);
    bench_roles_diff (&before, &after, &result->cpu);
    int status = panda_pandad_stop (&node);
    if (status != 0 && !result->error[0])
        snprintf (result->error, sizeof result->error, "pandad exit status %d after SIGTERM", status);
}

//  ----------------------------------------------------------------------
//  --verify-procs: the verify pool in pandad's process or in others.

typedef enum { S_ONE_INPROC, S_ONE_IPC, S_VERIFY_PROCESS, S_VERIFY_PROCESSES, S_LAYOUTS } s_layout_t;

static const char *s_layout_names[S_LAYOUTS] = {"one process, inproc://", "one process, ipc://",
                                                "verify pool (2) in a 2nd process",
                                                "2 verify processes x 1 worker"};

//  The pipeline endpoints that cross processes, in a temp dir.
typedef struct {
    char dir[64], verify[96], verify_1[96], storage[96], replies[96];
} s_ipc_t;

static void
s_ipc_new (s_ipc_t *ipc)
{
    snprintf (ipc->dir, sizeof ipc->dir, "/tmp/bench-e2e-ipc-XXXXXX");
    if (!mkdtemp (ipc->dir))
        s_die ("%s", "mkdtemp failed");
    snprintf (ipc->verify, sizeof ipc->verify, "ipc://%s/verify-*", ipc->dir);
    snprintf (ipc->verify_1, sizeof ipc->verify_1, "ipc://%s/verify-1", ipc->dir);
    snprintf (ipc->storage, sizeof ipc->storage, "ipc://%s/storage", ipc->dir);
    snprintf (ipc->replies, sizeof ipc->replies, "ipc://%s/replies", ipc->dir);
}

static void
s_ipc_remove (s_ipc_t *ipc)
{
    const char *names[] = {"verify-0", "verify-1", "storage", "replies"};
    char path[128];
    for (size_t i = 0; i < 4; i++) {
        snprintf (path, sizeof path, "%s/%s", ipc->dir, names[i]);
        unlink (path);
    }
    rmdir (ipc->dir);
}

//  dst += src, per thread name.
static void
s_roles_add (bench_roles_t *dst, const bench_roles_t *src)
{
    for (size_t i = 0; i < src->count; i++) {
        size_t j = 0;
        while (j < dst->count && strcmp (dst->names[j], src->names[i]) != 0)
            j++;
        if (j == dst->count) {
            if (dst->count == BENCH_ROLES_MAX)
                continue;
            snprintf (dst->names[j], sizeof dst->names[j], "%s", src->names[i]);
            dst->seconds[j] = dst->slices[j] = 0;
            dst->count++;
        }
        dst->seconds[j] += src->seconds[i];
        dst->slices[j] += src->slices[i];
    }
}

//  One fresh node in layout, the whole work published once. The verify
//  processes start first (they bind), then the node that listens; its
//  ingest connects at start, and the drive begins S_CONNECT_MS later (a
//  publish sent before the connection is up fails at once: ingest's verify
//  sockets queue only on live connections).
#define S_CONNECT_MS 300
static void
s_layout_run (const s_work_t *work, const char *threads, s_layout_t layout, double seconds,
              s_result_t *result)
{
    s_ipc_t ipc;
    s_ipc_new (&ipc);
    const char *all = "api,ingest,verify,storage,materialize", *no_verify = "api,ingest,storage,materialize";
    const char *args[] = {"--http-threads",
                          threads,
                          "--http-max-connections-per-address",
                          "0",
                          "--verify-threads",
                          "2",
                          "--actors",
                          layout == S_ONE_INPROC || layout == S_ONE_IPC ? all : no_verify,
                          layout == S_ONE_INPROC ? NULL : "--verify-endpoint",
                          ipc.verify,
                          "--storage-endpoint",
                          ipc.storage,
                          "--replies-endpoint",
                          ipc.replies,
                          NULL};
    //  Verify processes: the pool of 2, or worker 0 and worker 1 alone.
    size_t helpers = layout == S_VERIFY_PROCESS ? 1 : layout == S_VERIFY_PROCESSES ? 2 : 0;
    panda_pandad_t *verify[2] = {NULL, NULL};
    for (size_t h = 0; h < helpers; h++) {
        const char *verify_args[] = {"--actors",
                                     "verify",
                                     "--verify-threads",
                                     helpers == 1 ? "2" : "1",
                                     "--verify-endpoint",
                                     h == 0 ? ipc.verify : ipc.verify_1,
                                     "--storage-endpoint",
                                     ipc.storage,
                                     "--replies-endpoint",
                                     ipc.replies,
                                     NULL};
        if (!(verify[h] = panda_pandad_start_marker (verify_args, "pandad: ready", S_STARTUP_TIMEOUT_MS)))
            s_die ("%s", "a verify pandad did not start (its output is above)");
    }
    panda_pandad_t *node = panda_pandad_start (args, S_STARTUP_TIMEOUT_MS);
    if (!node)
        s_die ("%s", "pandad did not start (its output is above)");
    struct timespec connect = {0, S_CONNECT_MS * 1000000L};
    nanosleep (&connect, NULL);
    bench_roles_t before[3], after[3];
    int pids[3] = {panda_pandad_pid (node), helpers > 0 ? panda_pandad_pid (verify[0]) : 0,
                   helpers > 1 ? panda_pandad_pid (verify[1]) : 0};
    for (size_t p = 0; p <= helpers; p++)
        bench_roles_read (pids[p], &before[p]);
    s_drive (work, panda_pandad_port (node), false, seconds, result);
    for (size_t p = 0; p <= helpers; p++)
        bench_roles_read (pids[p], &after[p]);
    bench_roles_diff (&before[0], &after[0], &result->cpu);
    for (size_t p = 1; p <= helpers; p++) {
        bench_roles_t diff;
        bench_roles_diff (&before[p], &after[p], &diff);
        s_roles_add (&result->cpu, &diff);
    }
    int status = panda_pandad_stop (&node);
    for (size_t h = 0; h < helpers; h++)
        if (panda_pandad_stop (&verify[h]) != 0 && status == 0)
            status = -2;
    if (status != 0 && !result->error[0])
        snprintf (result->error, sizeof result->error, "a pandad exit status was %d after SIGTERM", status);
    s_ipc_remove (&ipc);
}

//  Where the CPU went, in microseconds per request, by thread name (only
//  the name `only` when given).
static void
s_print_cpu (int run, const char *what, const s_result_t *result, const char *only)
{
    double total = 0, slices = 0, per = 1.0 / (double) (result->done ? result->done : 1);
    printf ("# run %d: %s per request, CPU us (times scheduled):", run + 1, what);
    for (size_t i = 0; i < result->cpu.count; i++)
        if ((!only || strcmp (result->cpu.names[i], only) == 0) &&
            result->cpu.seconds[i] * per * 1e6 >= 0.5) {
            printf (" %s %.0f (%.2f)", result->cpu.names[i], result->cpu.seconds[i] * per * 1e6,
                    result->cpu.slices[i] * per);
            total += result->cpu.seconds[i];
            slices += result->cpu.slices[i];
        }
    printf ("; total %.0f (%.2f); load generator %.0f; machine %.0f%% busy\n", total * per * 1e6,
            slices * per, result->client_seconds * per * 1e6, result->busy * 100);
}

//  ----------------------------------------------------------------------

static void
s_parse (int argc, char *argv[], s_opts_t *opts)
{
    *opts = (s_opts_t){.runs = 3,
                       .entries = 8192,
                       .logs = 64,
                       .conns = 64,
                       .http_threads = S_HTTP_THREADS,
                       .seconds = 8,
                       .ceiling_seconds = 1};
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp (argv[i], "--runs") == 0)
            opts->runs = atoi (argv[i + 1]);
        else if (strcmp (argv[i], "--entries") == 0)
            opts->entries = (size_t) atol (argv[i + 1]);
        else if (strcmp (argv[i], "--logs") == 0)
            opts->logs = (size_t) atol (argv[i + 1]);
        else if (strcmp (argv[i], "--conns") == 0)
            opts->conns = (size_t) atol (argv[i + 1]);
        else if (strcmp (argv[i], "--http-threads") == 0)
            opts->http_threads = (size_t) atol (argv[i + 1]);
        else if (strcmp (argv[i], "--seconds") == 0)
            opts->seconds = atof (argv[i + 1]);
        else if (strcmp (argv[i], "--ceiling-seconds") == 0)
            opts->ceiling_seconds = atof (argv[i + 1]);
        else if (strcmp (argv[i], "--verify-procs") == 0)
            opts->verify_procs = atoi (argv[i + 1]) != 0;
        else
            opts->runs = 0;
    }
    if (opts->runs < 1 || opts->runs > S_RUNS_MAX || opts->logs < 1 || opts->logs > S_LOGS_MAX ||
        opts->conns < 1 || opts->conns > S_CONNS_MAX || opts->conns > opts->logs ||
        opts->entries < opts->logs || opts->http_threads < 1 || opts->http_threads > S_CONNS_MAX ||
        opts->seconds <= 0 || opts->ceiling_seconds <= 0) {
        fprintf (stderr,
                 "usage: bench_e2e [--runs 1..%d] [--entries N>=logs] [--logs 1..%d] [--conns 1..logs]"
                 " [--http-threads N] [--seconds S] [--ceiling-seconds S] [--verify-procs 1]\n",
                 S_RUNS_MAX, S_LOGS_MAX);
        exit (1);
    }
}

//  Medians over runs of rate, p50 and p99.
typedef struct {
    double rate[S_RUNS_MAX], p50[S_RUNS_MAX], p99[S_RUNS_MAX], max[S_RUNS_MAX];
} s_series_t;

static void
s_record (s_series_t *series, int run, const s_result_t *result)
{
    series->rate[run] = (double) result->done / result->seconds;
    series->p50[run] = result->p50_ms;
    series->p99[run] = result->p99_ms;
    series->max[run] = result->max_ms;
}

//  The summary: medians over runs, ratios to the ceilings.
static void
s_table (double *verify, s_series_t *http, s_series_t *e2e, size_t n)
{
    double a = bench_median (verify, n), b = bench_median (http->rate, n), e = bench_median (e2e->rate, n);
    printf ("%-4s %-34s %10s %8s %8s %8s %6s %6s\n", "case", "", "ops/s", "p50 ms", "p99 ms", "max ms", "x B",
            "x A");
    printf ("%-4s %-34s %10.0f %8s %8s %8s %6s %6.2f\n", "A", "bare verify, 2 threads", a, "-", "-", "-", "-",
            1.0);
    printf ("%-4s %-34s %10.0f %8.3f %8.3f %8.1f %6.2f %6.2f\n", "B", "civetweb trivial POST handler", b,
            bench_median (http->p50, n), bench_median (http->p99, n), bench_median (http->max, n), 1.0,
            b / a);
    printf ("%-4s %-34s %10.0f %8.3f %8.3f %8.1f %6.2f %6.2f\n", "E", "pandad publish end to end", e,
            bench_median (e2e->p50, n), bench_median (e2e->p99, n), bench_median (e2e->max, n), e / b, e / a);
}

//  The --verify-procs summary: each layout's medians, and the median of
//  its per-run ratio to layout 1.
static void
s_layout_table (double *verify, s_series_t *http, s_series_t *layouts, size_t n)
{
    double a = bench_median (verify, n), b = bench_median (http->rate, n);
    printf ("%-4s %-34s %10s %8s %8s %8s %6s %6s %8s\n", "case", "", "ops/s", "p50 ms", "p99 ms", "max ms",
            "x B", "x A", "x E1");
    printf ("%-4s %-34s %10.0f %8s %8s %8s %6s %6.2f %8s\n", "A", "bare verify, 2 threads", a, "-", "-", "-",
            "-", 1.0, "-");
    printf ("%-4s %-34s %10.0f %8.3f %8.3f %8.1f %6.2f %6.2f %8s\n", "B", "civetweb trivial POST handler", b,
            bench_median (http->p50, n), bench_median (http->p99, n), bench_median (http->max, n), 1.0, b / a,
            "-");
    for (int l = 0; l < S_LAYOUTS; l++) {
        double ratio[S_RUNS_MAX], rate[S_RUNS_MAX];
        for (size_t r = 0; r < n; r++) {
            ratio[r] = layouts[l].rate[r] / layouts[S_ONE_INPROC].rate[r];
            rate[r] = layouts[l].rate[r];
        }
        double e = bench_median (rate, n);
        char id[8];
        snprintf (id, sizeof id, "E%d", l + 1);
        printf ("%-4s %-34s %10.0f %8.3f %8.3f %8.1f %6.2f %6.2f %8.3f\n", id, s_layout_names[l], e,
                bench_median (layouts[l].p50, n), bench_median (layouts[l].p99, n),
                bench_median (layouts[l].max, n), e / b, e / a, bench_median (ratio, n));
    }
}

int
main (int argc, char *argv[])
{
    s_opts_t opts;
    s_parse (argc, argv, &opts);
    if (sodium_init () < 0)
        s_die ("%s", "sodium_init failed");
    mg_init_library (0); //  returns the features set up: 0 when none were asked for
    s_work_t work;
    s_make_work (&work, &opts);
    printf ("# %zu publishes pre-signed: %zu keys x 1 log, %zu connections, %d runs, pandad in %s\n",
            work.total, opts.logs, opts.conns, opts.runs,
            getenv ("PANDA_BIN_DIR") ? getenv ("PANDA_BIN_DIR") : "../bin");
    char threads[16];
    snprintf (threads, sizeof threads, "%zu", opts.http_threads);
    double verify[S_RUNS_MAX];
    s_series_t http, e2e, layouts[S_LAYOUTS];
    size_t published = 0;
    for (int r = 0; opts.verify_procs && r < opts.runs; r++) {
        s_result_t result;
        verify[r] = s_ceiling_verify (opts.ceiling_seconds);
        s_ceiling_http (&work, threads, opts.ceiling_seconds, &result);
        if (result.error[0])
            s_die ("ceiling B: %s", result.error);
        s_record (&http, r, &result);
        printf ("# run %d: A %.0f verify/s, B %.0f req/s\n", r + 1, verify[r], http.rate[r]);
        for (int i = 0; i < S_LAYOUTS; i++) {
            s_layout_t layout = (s_layout_t) ((i + r) % S_LAYOUTS);
            s_layout_run (&work, threads, layout, opts.seconds, &result);
            char what[64];
            snprintf (what, sizeof what, "E%d (%s)", layout + 1, s_layout_names[layout]);
            printf ("# run %d: %s %zu/%zu publishes in %.2f s (p50 %.3f, p99 %.3f, max %.1f ms)\n", r + 1,
                    what, result.done, work.total, result.seconds, result.p50_ms, result.p99_ms,
                    result.max_ms);
            s_print_cpu (r, what, &result, NULL);
            fflush (stdout);
            if (result.error[0])
                s_die ("pandad: %s", result.error);
            s_record (&layouts[layout], r, &result);
            published += result.done;
        }
    }
    if (opts.verify_procs) {
        s_layout_table (verify, &http, layouts, (size_t) opts.runs);
        printf ("# checksum (answers checked) %zu\n", published);
        s_free_work (&work);
        mg_exit_library ();
        return 0;
    }
    for (int r = 0; r < opts.runs; r++) {
        s_result_t result;
        verify[r] = s_ceiling_verify (opts.ceiling_seconds);
        s_ceiling_http (&work, threads, opts.ceiling_seconds, &result);
        if (result.error[0])
            s_die ("ceiling B: %s", result.error);
        s_record (&http, r, &result);
        printf ("# run %d: A %.0f verify/s, B %.0f req/s (p50 %.3f, p99 %.3f, max %.1f ms)\n", r + 1,
                verify[r], http.rate[r], result.p50_ms, result.p99_ms, result.max_ms);
        s_print_cpu (r, "B's civetweb workers", &result, "civetweb-worker");
        s_pandad_run (&work, threads, opts.seconds, &result);
        printf ("# run %d: E %zu/%zu publishes in %.2f s (p50 %.3f, p99 %.3f, max %.1f ms)\n", r + 1,
                result.done, work.total, result.seconds, result.p50_ms, result.p99_ms, result.max_ms);
        s_print_cpu (r, "pandad", &result, NULL);
        fflush (stdout);
        if (result.error[0])
            s_die ("pandad: %s", result.error);
        s_record (&e2e, r, &result);
        published += result.done;
    }
    s_table (verify, &http, &e2e, (size_t) opts.runs);
    printf ("# goal: E >= 0.5 x B; checksum (answers checked) %zu\n", published);
    s_free_work (&work);
    mg_exit_library ();
    return 0;
}
