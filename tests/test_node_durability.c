/*  test_node_durability.c - an acknowledged publish is never lost.

    The real pandad (file database in the harness's data dir) takes a
    publish storm: THREADS threads, each with its own keep-alive connection
    and its own authors, publish pre-signed logs in order (node-api §8, the
    Publish mutation with variables). Once the node has acknowledged a
    chosen number of entries (answered with their next arguments), the main
    thread SIGKILLs it while the threads are still sending, then restarts it
    on the same data dir. For every author, nextArgs must then continue
    exactly after an entry S the author signed, with S at least the highest
    acknowledged seq num: every acknowledged entry survived, and what is
    stored is a prefix of the signed log (S may exceed the acknowledgement
    by entries committed whose answers the kill cut). The storm then runs to
    the end on the restarted node: entry S+1 and all later ones must be
    accepted, so nothing half-stored is in the way. Three rounds, killed at
    different points, on one growing database; finally, after a clean stop,
    SQLite's integrity check of the database file answers "ok".            */
#define _GNU_SOURCE //  nftw
#include <czmq.h>
#include <ftw.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include <sqlite3.h>

#include "panda_test.h"
#include "panda_fixture.h"
#include "panda/panda_lipmaa.h"
#include "panda/panda_log_writer.h"
#include "panda/panda_operation.h"

#define REQUEST_MS 20000 //  one HTTP request
#define STORM_MS 120000 //  reaching the kill point, or the end of a storm
#define AUTHORS 16 //  one document each, in log 0
#define THREADS 8 //  author k is published by thread k % THREADS
#define ENTRIES 100 //  per author: a CREATE, then UPDATEs
#define NO_KILL SIZE_MAX

//  Acknowledgements after which each round kills the node.
static const size_t s_kill_after[] = {50, 400, 1200};
#define ROUNDS (sizeof s_kill_after / sizeof s_kill_after[0])

typedef struct {
    char *entry_hex, *operation_hex;
} s_signed_t;

//  One author's pre-signed log. acked and next belong to the author's
//  storm thread while it runs, to the main thread otherwise.
typedef struct {
    panda_keypair_t *keypair;
    panda_log_writer_t *writer;
    char public_key[PANDA_PUBLIC_KEY_HEX_SIZE + 1];
    char document[PANDA_HASH_HEX_SIZE + 1];
    s_signed_t log[ENTRIES + 1]; //  seq nums 1..ENTRIES
    uint64_t acked; //  highest seq num whose publish was acknowledged
    uint64_t next; //  next seq num to publish
} s_author_t;

typedef struct {
    pthread_mutex_t lock;
    pthread_cond_t changed; //  acks grew or a thread ended
    size_t acks, running;
    int port;
    s_author_t *authors;
} s_storm_t;

typedef struct {
    s_storm_t *storm;
    size_t first; //  authors first, first + THREADS, ...
    bool cut; //  stopped by a failed request (connection gone)
    char error[1024]; //  a publish answered with something but its acknowledgement
    pthread_t thread;
} s_worker_t;

//  --- pre-signed logs -------------------------------------------------------

//  A fresh author with ENTRIES signed entries of one document in log 0.
static void
s_author_init (s_author_t *a, size_t round, size_t k)
{
    memset (a, 0, sizeof *a);
    a->keypair = panda_keypair_new ();
    assert_non_null (a->keypair);
    a->writer = panda_log_writer_new (a->keypair, 0);
    assert_non_null (a->writer);
    panda_public_key_t pk = panda_keypair_public_key (a->keypair);
    panda_public_key_to_hex (&pk, a->public_key);
    for (uint64_t seq = 1; seq <= ENTRIES; seq++) {
        char name[64];
        snprintf (name, sizeof name, "round%zu_author%zu_v%llu", round, k, (unsigned long long) seq);
        panda_operation_t *op =
            panda_test_field_definition (seq > 1 ? panda_log_writer_hash (a->writer, seq - 1) : NULL, name);
        size_t len;
        const uint8_t *bytes = panda_operation_bytes (op, &len);
        assert_non_null (bytes);
        panda_error_t err;
        panda_entry_t *entry = panda_log_writer_sign (a->writer, bytes, len, &err);
        if (!entry)
            fail_msg ("sign: %s", err.message);
        a->log[seq].operation_hex = panda_test_hex (bytes, len);
        const uint8_t *entry_bytes = panda_entry_bytes (entry, &len);
        a->log[seq].entry_hex = panda_test_hex (entry_bytes, len);
        panda_entry_destroy (&entry);
        panda_operation_destroy (&op);
    }
    panda_hash_to_hex (panda_log_writer_hash (a->writer, 1), a->document);
    a->next = 1;
}

static void
s_author_fini (s_author_t *a)
{
    for (uint64_t seq = 1; seq <= ENTRIES; seq++) {
        free (a->log[seq].entry_hex);
        free (a->log[seq].operation_hex);
    }
    panda_log_writer_destroy (&a->writer);
    panda_keypair_destroy (&a->keypair);
}

//  Hex of the author's entry seq (1..ENTRIES), or NULL for 0.
static const char *
s_hash_hex (const s_author_t *a, uint64_t seq, char out[PANDA_HASH_HEX_SIZE + 1])
{
    const panda_hash_t *hash = seq ? panda_log_writer_hash (a->writer, seq) : NULL;
    return hash ? panda_hash_to_hex (hash, out) : NULL;
}

//  The next arguments after the author's entry seq, computed from the
//  writer's hashes and lipmaa, independently of the node.
static json_t *
s_expected_after (const s_author_t *a, uint64_t seq)
{
    char seq_text[24], back[PANDA_HASH_HEX_SIZE + 1], skip[PANDA_HASH_HEX_SIZE + 1];
    uint64_t next = seq + 1;
    snprintf (seq_text, sizeof seq_text, "%llu", (unsigned long long) next);
    const char *skiplink =
        panda_lipmaa_skiplink_required (next) ? s_hash_hex (a, panda_lipmaa (next), skip) : NULL;
    return json_pack ("{s:s, s:s, s:s?, s:s?}", "logId", "0", "seqNum", seq_text, "backlink",
                      s_hash_hex (a, seq, back), "skiplink", skiplink);
}

//  --- the storm ---------------------------------------------------------------

//  Publish the author's next entry. Returns 0 when acknowledged, -1 when
//  the request failed (no answer), 1 with error filled for any other answer.
static int
s_publish_next (panda_http_t *http, s_author_t *a, char *error, size_t size)
{
    s_signed_t *s = &a->log[a->next];
    int status;
    json_t *answer = panda_fixture_publish (http, s->entry_hex, s->operation_hex, &status);
    if (!answer)
        return -1;
    json_t *want = json_pack ("{s:{s:o}}", "data", "publish", s_expected_after (a, a->next));
    int rc = 0;
    if (status != 200 || !json_equal (answer, want)) {
        char *got = json_dumps (answer, JSON_COMPACT);
        snprintf (error, size, "author %.16s seq %llu: status %d, %s", a->public_key,
                  (unsigned long long) a->next, status, got ? got : "?");
        free (got);
        rc = 1;
    } else
        a->acked = a->next++;
    json_decref (want);
    json_decref (answer);
    return rc;
}

static void
s_storm_signal (s_storm_t *storm, bool ack)
{
    pthread_mutex_lock (&storm->lock);
    if (ack)
        storm->acks++;
    else
        storm->running--;
    pthread_cond_signal (&storm->changed);
    pthread_mutex_unlock (&storm->lock);
}

//  Publish the worker's authors' logs, round robin, each in order, until
//  all are published or a request fails.
static void *
s_worker_run (void *arg)
{
    s_worker_t *w = arg;
    s_storm_t *storm = w->storm;
    panda_http_t *http = panda_http_connect ("127.0.0.1", storm->port, REQUEST_MS);
    w->cut = !http;
    bool more = true;
    while (more && !w->cut && !w->error[0]) {
        more = false;
        for (size_t k = w->first; k < AUTHORS && !w->cut && !w->error[0]; k += THREADS) {
            s_author_t *a = &storm->authors[k];
            if (a->next > ENTRIES)
                continue;
            int rc = s_publish_next (http, a, w->error, sizeof w->error);
            w->cut = rc < 0;
            if (rc == 0)
                s_storm_signal (storm, true);
            more = more || a->next <= ENTRIES;
        }
    }
    panda_http_destroy (&http);
    s_storm_signal (storm, false);
    return NULL;
}

//  Wait until kill_at acks or until every worker ended, up to STORM_MS.
//  Returns the acks counted then; *timed_out tells a missed deadline.
static size_t
s_storm_wait (s_storm_t *storm, size_t kill_at, bool *timed_out)
{
    struct timespec deadline;
    clock_gettime (CLOCK_MONOTONIC, &deadline);
    deadline.tv_sec += STORM_MS / 1000;
    *timed_out = false;
    pthread_mutex_lock (&storm->lock);
    while (storm->acks < kill_at && storm->running > 0 && !*timed_out)
        *timed_out = pthread_cond_timedwait (&storm->changed, &storm->lock, &deadline) != 0;
    size_t acks = storm->acks;
    pthread_mutex_unlock (&storm->lock);
    return acks;
}

typedef struct {
    size_t acks_at_kill; //  acks the main thread saw when it sent SIGKILL
    size_t cut_workers; //  workers stopped by a failed request
    bool killed;
} s_storm_result_t;

//  Run a storm of the authors' remaining entries against node. With
//  kill_at != NO_KILL, SIGKILL the node once kill_at publishes are
//  acknowledged (or when the deadline passes). Fails on any publish
//  answered with something but its acknowledgement.
static s_storm_result_t
s_storm (panda_fixture_t *node, s_author_t *authors, size_t kill_at)
{
    s_storm_t storm = {.running = THREADS, .port = panda_fixture_port (node), .authors = authors};
    pthread_condattr_t attr;
    pthread_condattr_init (&attr);
    pthread_condattr_setclock (&attr, CLOCK_MONOTONIC);
    pthread_cond_init (&storm.changed, &attr);
    pthread_condattr_destroy (&attr);
    pthread_mutex_init (&storm.lock, NULL);
    s_worker_t workers[THREADS];
    for (size_t t = 0; t < THREADS; t++) {
        workers[t] = (s_worker_t){.storm = &storm, .first = t};
        assert_int_equal (pthread_create (&workers[t].thread, NULL, s_worker_run, &workers[t]), 0);
    }
    bool timed_out;
    s_storm_result_t result = {.acks_at_kill = s_storm_wait (&storm, kill_at, &timed_out)};
    if (kill_at != NO_KILL || timed_out) {
        panda_fixture_kill (node); //  the workers' requests fail from now on
        result.killed = true;
    }
    for (size_t t = 0; t < THREADS; t++)
        pthread_join (workers[t].thread, NULL);
    pthread_cond_destroy (&storm.changed);
    pthread_mutex_destroy (&storm.lock);
    if (timed_out)
        fail_msg ("storm: no progress to %zu acks within %d ms (%zu acked)", kill_at, STORM_MS,
                  result.acks_at_kill);
    for (size_t t = 0; t < THREADS; t++) {
        if (workers[t].error[0])
            fail_msg ("publish not acknowledged: %s", workers[t].error);
        result.cut_workers += workers[t].cut;
    }
    return result;
}

//  --- after the restart ---------------------------------------------------

//  answer must be exactly {"data":{"nextArgs": expected}}. Takes expected.
static void
s_assert_next_args (json_t *answer, json_t *expected, const s_author_t *a, const char *what)
{
    json_t *want = json_pack ("{s:{s:o}}", "data", "nextArgs", expected);
    if (!json_equal (answer, want)) {
        char *got = json_dumps (answer, JSON_COMPACT), *exp = json_dumps (want, JSON_COMPACT);
        fail_msg ("author %s, %s:\n  got      %s\n  expected %s", a->public_key, what, got, exp);
    }
    json_decref (want);
}

//  The seq num of the author's last stored entry, as nextArgs reports it;
//  checks that it continues the author's own log (a prefix of it is stored).
static uint64_t
s_stored_seq (panda_http_t *http, const s_author_t *a)
{
    //  Without viewId: log 0 is offered iff nothing of the author is stored.
    json_t *answer = panda_fixture_next_args (http, a->public_key, NULL, NULL);
    const char *log = json_string_value (
        json_object_get (json_object_get (json_object_get (answer, "data"), "nextArgs"), "logId"));
    bool empty = log && strcmp (log, "0") == 0;
    s_assert_next_args (
        answer,
        json_pack ("{s:s, s:s, s:n, s:n}", "logId", empty ? "0" : "1", "seqNum", "1", "backlink", "skiplink"),
        a, "new document");
    json_decref (answer);
    if (empty)
        return 0;
    answer = panda_fixture_next_args (http, a->public_key, a->document, NULL);
    const char *seq_text = json_string_value (
        json_object_get (json_object_get (json_object_get (answer, "data"), "nextArgs"), "seqNum"));
    uint64_t next = seq_text ? strtoull (seq_text, NULL, 10) : 0;
    if (next < 2 || next > ENTRIES + 1) {
        char *got = json_dumps (answer, JSON_COMPACT);
        fail_msg ("author %s: nextArgs of its document: %s", a->public_key, got);
    }
    s_assert_next_args (answer, s_expected_after (a, next - 1), a, "document after restart");
    json_decref (answer);
    return next - 1;
}

typedef struct {
    uint64_t acked, found, extra;
    size_t authors_with_extra;
} s_survey_t;

//  Every author's acknowledged entries are stored, and the log continues
//  after the last stored one. Sets each author's next seq num there.
static s_survey_t
s_survey (panda_fixture_t *node, s_author_t *authors)
{
    panda_http_t *http = panda_fixture_http (node);
    s_survey_t survey = {0};
    for (size_t k = 0; k < AUTHORS; k++) {
        s_author_t *a = &authors[k];
        uint64_t stored = s_stored_seq (http, a);
        if (stored < a->acked)
            fail_msg ("author %s lost acknowledged entries: %llu acknowledged, %llu stored", a->public_key,
                      (unsigned long long) a->acked, (unsigned long long) stored);
        //  A thread has one request in flight per author at most.
        assert_true (stored <= a->acked + 1);
        survey.acked += a->acked;
        survey.found += stored;
        survey.extra += stored - a->acked;
        survey.authors_with_extra += stored > a->acked;
        a->acked = stored;
        a->next = stored + 1;
    }
    panda_fixture_disconnect (node);
    return survey;
}

//  After a complete storm: every author's log is stored to its end.
static void
s_assert_complete (panda_fixture_t *node, const s_author_t *authors)
{
    panda_http_t *http = panda_fixture_http (node);
    for (size_t k = 0; k < AUTHORS; k++) {
        assert_int_equal (authors[k].acked, ENTRIES);
        json_t *answer = panda_fixture_next_args (http, authors[k].public_key, authors[k].document, NULL);
        s_assert_next_args (answer, s_expected_after (&authors[k], ENTRIES), &authors[k], "complete log");
        json_decref (answer);
    }
    panda_fixture_disconnect (node);
}

//  --- the test ------------------------------------------------------------------

static void
s_round (panda_fixture_t *node, size_t round)
{
    s_author_t *authors = calloc (AUTHORS, sizeof *authors);
    assert_non_null (authors);
    for (size_t k = 0; k < AUTHORS; k++)
        s_author_init (&authors[k], round, k);
    s_storm_result_t storm = s_storm (node, authors, s_kill_after[round]);
    assert_true (storm.killed);
    if (storm.acks_at_kill < s_kill_after[round])
        fail_msg ("round %zu: the storm ended after %zu acks, before the kill point", round,
                  storm.acks_at_kill);
    //  The kill came while requests were still being sent.
    assert_true (storm.cut_workers > 0);
    int64_t t0 = zclock_mono ();
    panda_fixture_restart (node, NULL);
    int64_t restart_ms = zclock_mono () - t0;
    s_survey_t survey = s_survey (node, authors);
    printf ("round %zu: SIGKILL at %zu acks (%zu/%d threads cut): acked %llu, found %llu, "
            "extra committed-not-acked %llu (%zu authors); restart %lld ms\n",
            round + 1, storm.acks_at_kill, storm.cut_workers, THREADS, (unsigned long long) survey.acked,
            (unsigned long long) survey.found, (unsigned long long) survey.extra, survey.authors_with_extra,
            (long long) restart_ms);
    fflush (stdout);
    //  Entry S+1 of every author, and all after it, are accepted.
    storm = s_storm (node, authors, NO_KILL);
    assert_false (storm.killed);
    assert_int_equal (storm.cut_workers, 0);
    s_assert_complete (node, authors);
    for (size_t k = 0; k < AUTHORS; k++)
        s_author_fini (&authors[k]);
    free (authors);
}

static int
s_remove_one (const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void) st, (void) flag, (void) ftw;
    remove (path);
    return 0;
}

//  Stop the node cleanly, keeping its data dir, and run SQLite's
//  integrity check on the database file.
static void
s_stop_and_check (panda_fixture_t **node_p)
{
    char dir[PATH_MAX], path[PATH_MAX + 32];
    snprintf (dir, sizeof dir, "%s", panda_fixture_dir (*node_p));
    snprintf (path, sizeof path, "%s/pandad.sqlite3", dir);
    const char *keep = getenv ("PANDA_KEEP_TMP");
    if (!keep)
        setenv ("PANDA_KEEP_TMP", "1", 1); //  the harness removes the dir otherwise
    assert_int_equal (panda_fixture_stop (node_p), 0);
    if (!keep)
        unsetenv ("PANDA_KEEP_TMP");
    sqlite3 *db = NULL;
    assert_int_equal (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_stmt *stmt = NULL;
    assert_int_equal (sqlite3_prepare_v2 (db, "PRAGMA integrity_check", -1, &stmt, NULL), SQLITE_OK);
    assert_int_equal (sqlite3_step (stmt), SQLITE_ROW);
    assert_string_equal ((const char *) sqlite3_column_text (stmt, 0), "ok");
    sqlite3_finalize (stmt);
    sqlite3_close (db);
    if (!keep)
        nftw (dir, s_remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

//  The node lives in the state so a failed round still stops it.
static int
s_setup (void **state)
{
    panda_fixture_t *node;
    int rc = panda_fixture_setup (&node, NULL);
    *state = node;
    return rc;
}

static int
s_teardown (void **state)
{
    panda_fixture_t *node = *state;
    panda_fixture_stop (&node);
    return 0;
}

static void
test_acknowledged_publish_survives_sigkill (void **state)
{
    panda_fixture_require ();
    for (size_t round = 0; round < ROUNDS; round++)
        s_round (*state, round);
    panda_fixture_t **node_p = (panda_fixture_t **) state;
    s_stop_and_check (node_p);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (test_acknowledged_publish_survives_sigkill, s_setup, s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
