/*  test_node_blob_crash.c - a crash while the node writes a blob file,
    then a restart, serves the complete file.

    We sign a blob of full 256000-byte pieces of pseudo-random bytes (one
    blob_piece_v1 CREATE per piece, each its own document and log, then a
    blob_v1 CREATE pinning the piece view ids in order) and publish it to a
    real pandad. The blob_v1 publish runs on a second thread while this one
    watches the blobs directory with inotify: the moment the materialiser's
    first write into its temp file (PANDA_BLOBS_TEMP_PREFIX + view id)
    lands, the node gets SIGKILL. We check the kill really came mid-write
    (temp file there and not empty, final file not), restart the node on the same data dir and ask
    GET /blobs/<document id> until it answers: every byte, Content-Type and
    Content-Length must be right, and no temp file may be left.

    The write streams all pieces and then fsyncs once, so a blob of tens
    of pieces leaves a wide window; if the file was renamed into place
    before the kill anyway, we try again with a fresh node and a bigger
    blob, a bounded number of times, then fail.                          */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <czmq.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "panda_test.h"
#include "panda_fixture.h"
#include "panda_blob.h"

#define START_MS 60000
#define REQUEST_MS 60000
#define TEMP_WAIT_MS 60000 //  longest wait for the temp file after the blob_v1 publish
#define SERVE_MS 60000 //  longest wait for GET /blobs after the restart
#define ATTEMPTS 3
#define MIME "application/x-crash-test"
#define PATH_SIZE 4096

//  Pieces of the blob of each attempt (x 256000 bytes: 12.3, 20.5, 30.7 MB).
static const size_t s_attempt_pieces[ATTEMPTS] = {48, 80, 120};

typedef struct {
    uint8_t *data; //  the blob's content (pieces concatenated)
    size_t len;
    panda_fixture_signed_t create; //  the blob_v1 CREATE; its hash is the blob's document (and view) id
} blob_t;

//  The blob_v1 publish, run while the main thread watches the directory.
typedef struct {
    panda_http_t *http;
    const blob_t *blob;
    json_t *answer; //  NULL when the kill cut the request short
} publisher_t;

//  --- signing and publishing ---------------------------------------------

static void
s_assert_published (json_t *answer, const char *what)
{
    if (!answer)
        fail_msg ("publish %s: no answer", what);
    if (json_object_get (answer, "errors") || !json_object_get (answer, "data"))
        fail_msg ("publish %s: %s", what, json_dumps (answer, JSON_COMPACT));
}

//  Publish pieces pseudo-random pieces (logs 0..pieces-1 of keypair) and
//  sign, without publishing, the blob_v1 CREATE pinning them (log pieces).
static void
s_make_blob (panda_http_t *http, const panda_keypair_t *keypair, size_t pieces, uint64_t seed, blob_t *blob)
{
    blob->len = pieces * PANDA_BLOB_PIECE_MAX;
    blob->data = malloc (blob->len);
    assert_non_null (blob->data);
    panda_test_random_bytes (&seed, blob->data, blob->len);
    panda_hash_t *ids = calloc (pieces, sizeof *ids);
    assert_non_null (ids);
    panda_error_t err;
    panda_value_t value;
    for (size_t i = 0; i < pieces; i++) {
        panda_operation_t *op = panda_operation_new (PANDA_ACTION_CREATE, "blob_piece_v1", NULL, 0, &err);
        assert_non_null (op);
        assert_int_equal (
            panda_value_set_bytes (&value, blob->data + i * PANDA_BLOB_PIECE_MAX, PANDA_BLOB_PIECE_MAX),
            PANDA_OK);
        assert_int_equal (panda_operation_set_field (op, "data", &value, &err), PANDA_OK);
        panda_value_clear (&value);
        panda_fixture_signed_t piece = panda_fixture_sign (keypair, i, 1, NULL, NULL, &op);
        ids[i] = piece.id;
        json_t *answer = panda_fixture_publish_signed (http, &piece, NULL);
        s_assert_published (answer, "blob_piece_v1");
        json_decref (answer);
        panda_fixture_signed_release (&piece);
    }
    panda_operation_t *op = panda_operation_new (PANDA_ACTION_CREATE, "blob_v1", NULL, 0, &err);
    assert_non_null (op);
    panda_value_set_int (&value, (int64_t) blob->len);
    assert_int_equal (panda_operation_set_field (op, "length", &value, &err), PANDA_OK);
    assert_int_equal (panda_value_set_str (&value, MIME, strlen (MIME)), PANDA_OK);
    assert_int_equal (panda_operation_set_field (op, "mime_type", &value, &err), PANDA_OK);
    panda_value_clear (&value);
    panda_value_set_hash_list_list (&value); //  pinned_relation_list: one view id (one hash) per piece
    for (size_t i = 0; i < pieces; i++)
        assert_int_equal (panda_value_append_list (&value, &ids[i], 1), PANDA_OK);
    assert_int_equal (panda_operation_set_field (op, "pieces", &value, &err), PANDA_OK);
    panda_value_clear (&value);
    blob->create = panda_fixture_sign (keypair, pieces, 1, NULL, NULL, &op);
    free (ids);
}

static void
s_blob_release (blob_t *blob)
{
    free (blob->data);
    panda_fixture_signed_release (&blob->create);
    memset (blob, 0, sizeof *blob);
}

static void *
s_publisher (void *arg)
{
    publisher_t *p = arg;
    int status; //  no answer (NULL) when the kill cuts the request short
    p->answer = panda_fixture_publish_signed (p->http, &p->blob->create, &status);
    return NULL;
}

//  --- the blobs directory ------------------------------------------------

//  Size of dir/<prefix><name>, -1 when there is no such file.
static int64_t
s_size (const char *dir, const char *prefix, const char *name)
{
    char path[PATH_SIZE];
    snprintf (path, sizeof path, "%s/%s%s", dir, prefix, name);
    struct stat st;
    return stat (path, &st) == 0 ? (int64_t) st.st_size : -1;
}

//  Names in dir (not . and ..), space-separated, into buf; the count of
//  names starting with the temp prefix is returned.
static size_t
s_listing (const char *dir, char *buf, size_t size)
{
    DIR *d = opendir (dir);
    if (!d)
        fail_msg ("cannot open %s: %s", dir, strerror (errno));
    size_t temps = 0, used = 0;
    buf[0] = '\0';
    struct dirent *e;
    while ((e = readdir (d))) {
        if (strcmp (e->d_name, ".") == 0 || strcmp (e->d_name, "..") == 0)
            continue;
        temps += strncmp (e->d_name, PANDA_BLOBS_TEMP_PREFIX, strlen (PANDA_BLOBS_TEMP_PREFIX)) == 0;
        int n = snprintf (buf + used, size - used, "%s%s", used ? " " : "", e->d_name);
        used = n > 0 && (size_t) n < size - used ? used + (size_t) n : used;
    }
    closedir (d);
    return temps;
}

//  Wait on the inotify fd until the first write into a temp file landed
//  (IN_MODIFY), or a file was renamed into place (too late: the caller
//  sees it and retries); SIGKILL the node at that moment. Returns false at
//  the deadline.
static bool
s_kill_on_temp (int watch, panda_pandad_t *node, int64_t deadline_ms)
{
    char buf[16 * (sizeof (struct inotify_event) + NAME_MAX + 1)]
        __attribute__ ((aligned (__alignof__(struct inotify_event))));
    size_t prefix = strlen (PANDA_BLOBS_TEMP_PREFIX);
    while (zclock_mono () < deadline_ms) {
        struct pollfd pfd = {.fd = watch, .events = POLLIN};
        if (poll (&pfd, 1, (int) (deadline_ms - zclock_mono ())) <= 0)
            continue;
        ssize_t n = read (watch, buf, sizeof buf);
        for (ssize_t at = 0; n > 0 && at < n;) {
            const struct inotify_event *ev = (const struct inotify_event *) (buf + at);
            bool temp = ev->len && strncmp (ev->name, PANDA_BLOBS_TEMP_PREFIX, prefix) == 0;
            if ((temp && (ev->mask & IN_MODIFY)) || (ev->mask & IN_MOVED_TO)) {
                panda_pandad_kill (node);
                return true;
            }
            at += (ssize_t) (sizeof *ev + ev->len);
        }
    }
    return false;
}

//  The end of the node's log, for a failure message.
static void
s_print_log (panda_fixture_t *node)
{
    char path[PATH_SIZE];
    snprintf (path, sizeof path, "%s/pandad.log", panda_fixture_dir (node));
    FILE *f = fopen (path, "r");
    if (!f)
        return;
    static char text[8192];
    fseek (f, 0, SEEK_END);
    long size = ftell (f);
    fseek (f, size > (long) sizeof text - 1 ? size - (long) sizeof text + 1 : 0, SEEK_SET);
    size_t n = fread (text, 1, sizeof text - 1, f);
    text[n] = '\0';
    fclose (f);
    fprintf (stderr, "--- end of %s ---\n%s\n---\n", path, text);
}

//  After the kill: true if the blobs dir holds a written temp file of the
//  blob and not its final file; false if the complete file is in place
//  already (too late). Fails on any other state.
static bool
s_killed_mid_write (const blob_t *blob, const char *blobs_dir, size_t pieces, int64_t elapsed_ms)
{
    char listing[2048];
    s_listing (blobs_dir, listing, sizeof listing);
    int64_t temp = s_size (blobs_dir, PANDA_BLOBS_TEMP_PREFIX, blob->create.hash);
    int64_t final_size = s_size (blobs_dir, "", blob->create.hash);
    bool final = final_size >= 0;
    fprintf (stderr,
             "attempt with %zu pieces (%zu bytes): killed %lld ms after the publish, temp file at %lld bytes;"
             " blobs dir: %s\n",
             pieces, blob->len, (long long) elapsed_ms, (long long) temp, listing);
    if (temp > 0 && !final)
        return true;
    if (final && final_size != (int64_t) blob->len)
        fail_msg (
            "after the kill %s/%s holds %lld of the blob's %zu bytes: a partial file under the served name",
            blobs_dir, blob->create.hash, (long long) final_size, blob->len);
    if (!final)
        fail_msg ("after the kill %s holds neither a written temp file nor the blob %s: %s", blobs_dir,
                  blob->create.hash, listing);
    return false;
}

//  --- the test -----------------------------------------------------------

//  One try on a fresh node: publish the pieces, then the blob_v1 while
//  watching blobs_dir, SIGKILL the node when its first write into the temp
//  file lands. Returns true with *node_p set (killed, data dir kept) when
//  the kill came mid-write; false (node and data dir gone, blob released)
//  when the file had already been renamed into place.
static bool
s_attempt (size_t pieces, uint64_t seed, panda_fixture_t **node_p, blob_t *blob, char *blobs_dir, size_t size)
{
    panda_fixture_t *node = panda_fixture_start (NULL, START_MS, REQUEST_MS);
    assert_non_null (node);
    snprintf (blobs_dir, size, "%s/blobs", panda_fixture_dir (node)); //  the default blobs_base_path
    panda_http_t *http = panda_fixture_http (node);
    panda_keypair_t *keypair = panda_keypair_new ();
    assert_non_null (keypair);
    s_make_blob (http, keypair, pieces, seed, blob);
    panda_keypair_destroy (&keypair);
    int watch = inotify_init1 (IN_NONBLOCK | IN_CLOEXEC);
    if (watch < 0 || inotify_add_watch (watch, blobs_dir, IN_MODIFY | IN_MOVED_TO) < 0)
        fail_msg ("inotify on %s: %s", blobs_dir, strerror (errno));
    publisher_t pub = {.http = http, .blob = blob};
    pthread_t thread;
    assert_int_equal (pthread_create (&thread, NULL, s_publisher, &pub), 0);
    int64_t started = zclock_mono ();
    //  Only the process: the publisher thread still uses the connection.
    bool killed = s_kill_on_temp (watch, panda_fixture_pandad (node), started + TEMP_WAIT_MS);
    pthread_join (thread, NULL);
    close (watch);
    panda_fixture_disconnect (node);
    if (!killed) {
        s_print_log (node);
        fail_msg ("no write into a %s file of %s within %d ms of the blob_v1 publish",
                  PANDA_BLOBS_TEMP_PREFIX, blobs_dir, TEMP_WAIT_MS);
    }
    if (pub.answer) //  NULL: the kill cut the request short, which is fine
        s_assert_published (pub.answer, "blob_v1");
    json_decref (pub.answer);
    if (s_killed_mid_write (blob, blobs_dir, pieces, zclock_mono () - started)) {
        *node_p = node;
        return true;
    }
    fprintf (stderr, "the blob file was already in place when SIGKILL landed: retrying with a bigger blob\n");
    panda_fixture_stop (&node);
    s_blob_release (blob);
    return false;
}

//  After the restart: GET /blobs/<doc> serves exactly the blob, and the
//  blobs dir holds its file and no temp file.
static void
s_assert_served (panda_fixture_t *node, const blob_t *blob, const char *blobs_dir)
{
    panda_http_t *http = panda_fixture_http (node);
    char path[128], value[128], length[32];
    snprintf (path, sizeof path, "/blobs/%s", blob->create.hash);
    panda_http_response_t resp;
    if (panda_http_get_until_found (http, path, SERVE_MS, &resp) != 0) {
        s_print_log (node);
        fail_msg ("GET %s did not answer other than 404 within %d ms of the restart", path, SERVE_MS);
    }
    assert_int_equal (resp.status, 200);
    if (resp.body_len != blob->len)
        fail_msg ("GET %s served %zu bytes, the blob has %zu", path, resp.body_len, blob->len);
    assert_memory_equal (resp.body, blob->data, blob->len);
    assert_non_null (panda_http_header (&resp, "content-type", value, sizeof value));
    assert_string_equal (value, MIME);
    snprintf (length, sizeof length, "%zu", blob->len);
    assert_non_null (panda_http_header (&resp, "content-length", value, sizeof value));
    assert_string_equal (value, length);
    panda_http_response_release (&resp);
    char listing[2048];
    size_t temps = s_listing (blobs_dir, listing, sizeof listing);
    if (temps || s_size (blobs_dir, "", blob->create.hash) < 0)
        fail_msg ("after the restart %s should hold only %s, holds: %s", blobs_dir, blob->create.hash,
                  listing);
    char file[PATH_SIZE];
    snprintf (file, sizeof file, "%s/%s", blobs_dir, blob->create.hash);
    struct stat st;
    assert_int_equal (stat (file, &st), 0);
    assert_int_equal ((size_t) st.st_size, blob->len);
    if (st.st_mode & 077) //  the blob is data: the user's alone
        fail_msg ("%s has mode %03o, want 0600", file, st.st_mode & 0777);
}

static void
test_node_blob_crash_mid_write (void **state)
{
    (void) state;
    panda_fixture_require ();
    panda_fixture_t *node = NULL;
    blob_t blob = {0};
    char blobs_dir[PATH_SIZE];
    size_t attempt = 0;
    while (attempt < ATTEMPTS && !s_attempt (s_attempt_pieces[attempt], 0x5eed0000 + attempt, &node, &blob,
                                             blobs_dir, sizeof blobs_dir))
        attempt++;
    if (attempt == ATTEMPTS)
        fail_msg ("in %d attempts (up to %zu pieces) the blob file was always renamed into place before "
                  "SIGKILL landed: no mid-write crash could be produced",
                  ATTEMPTS, s_attempt_pieces[ATTEMPTS - 1]);
    if (!panda_pandad_restart (panda_fixture_pandad (node), NULL, START_MS)) {
        panda_fixture_stop (&node);
        fail_msg ("pandad did not restart on the data dir of the killed node");
    }
    s_assert_served (node, &blob, blobs_dir);
    assert_int_equal (panda_fixture_stop (&node), 0);
    s_blob_release (&blob);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test (test_node_blob_crash_mid_write)};
    return cmocka_run_group_tests (tests, NULL, NULL);
}
