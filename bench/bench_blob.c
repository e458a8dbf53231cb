/*  bench_blob.c - blob serve throughput: GET /blobs/<doc> of a large blob
    from a running pandad over one keep-alive connection, held against
    `cat` of the same file (read + write to /dev/null, 128 KiB buffer) in
    the same run.

    The bench stands in for the materialiser: it writes the blob's views
    rows (400 pieces of 256000 bytes = 102.4 MB by default, or the MB given
    as the first argument) into the node's views database and runs
    panda_blobs_sync, which writes the file. Both cases read a file that is
    in the page cache; the median of S_RUNS runs is reported. Two more
    lines: the loopback TCP ceiling (the file sent over a local socket,
    no HTTP) and GET with a client that discards the body (case 3's
    client copies it into one buffer, which costs as much as the serving).

      cmake -S . -B build-rel -DCMAKE_BUILD_TYPE=Release -DPANDA_INTEROP=OFF
      cmake --build build-rel -j2 --target bench && build-rel/bench/bench_blob  */
#include "bench_util.h"
#include "panda_blob.h"
#include "panda/panda_hash.h"
#include "panda_views.h"
#include "panda_http.h"
#include "panda_pandad.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/socket.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define S_RUNS 7
#define S_CAT_BUFFER (128u << 10)

static int
s_insert (sqlite3 *db, const char *sql, sqlite3_int64 a, const char *text, const void *blob, size_t len,
          sqlite3_int64 *row)
{
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_int64 (stmt, 1, a);
    if (text)
        sqlite3_bind_text (stmt, 2, text, -1, SQLITE_STATIC);
    if (blob)
        sqlite3_bind_blob (stmt, 3, blob, (int) len, SQLITE_STATIC);
    int rc = sqlite3_step (stmt);
    sqlite3_finalize (stmt);
    if (row)
        *row = sqlite3_last_insert_rowid (db);
    return rc == SQLITE_DONE ? 0 : -1;
}

//  One fields row (int, text or blob value) with its row cursor.
static int
s_field (panda_views_t *views, sqlite3_int64 view, const char *schema, const char *name, uint64_t idx,
         sqlite3_int64 integer, const char *text, const void *blob, size_t len)
{
    int64_t field;
    panda_error_t err;
    if (panda_views_field_id (views, schema, name, &field, &err) != PANDA_OK)
        return -1;
    panda_hash_t writer;
    panda_hash_compute (&writer, name, strlen (name));
    uint8_t cursor[32];
    panda_views_row_cursor (idx, name, &writer, cursor);
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2 (panda_views_db (views), "INSERT INTO fields VALUES (?1, ?2, ?3, ?4, ?5, ?6)", -1,
                            &stmt, NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_int64 (stmt, 1, view);
    sqlite3_bind_int64 (stmt, 2, field);
    sqlite3_bind_int64 (stmt, 3, (sqlite3_int64) idx);
    if (text)
        sqlite3_bind_text (stmt, 4, text, -1, SQLITE_STATIC);
    else if (blob)
        sqlite3_bind_blob (stmt, 4, blob, (int) len, SQLITE_STATIC);
    else
        sqlite3_bind_int64 (stmt, 4, integer);
    sqlite3_bind_blob (stmt, 5, writer.bytes, PANDA_HASH_SIZE, SQLITE_STATIC);
    sqlite3_bind_blob (stmt, 6, cursor, 32, SQLITE_STATIC);
    int rc = sqlite3_step (stmt);
    sqlite3_finalize (stmt);
    return rc == SQLITE_DONE ? 0 : -1;
}

//  A live document labelled label of schema with one current view whose
//  id is the document id (hex into view_id). Returns the view row.
static sqlite3_int64
s_document (panda_views_t *views, const char *label, const char *schema,
            char view_id[PANDA_HASH_HEX_SIZE + 1])
{
    sqlite3 *db = panda_views_db (views);
    panda_hash_t doc;
    panda_hash_compute (&doc, label, strlen (label));
    panda_hash_to_hex (&doc, view_id);
    sqlite3_int64 doc_row = 0, view_row = 0;
    if (s_insert (db, "INSERT INTO documents (document_id, schema, owner) VALUES (?3, ?2, zeroblob (32))", 0,
                  schema, doc.bytes, PANDA_HASH_SIZE, &doc_row) ||
        s_insert (db, "INSERT INTO views (document, view_id) VALUES (?1, ?2)", doc_row, view_id, NULL, 0,
                  &view_row) ||
        s_insert (db, "UPDATE documents SET view = last_insert_rowid () WHERE id = ?1", doc_row, NULL, NULL,
                  0, NULL))
        return 0;
    return view_row;
}

//  The blob of size bytes; its document id (= view id) into doc.
static int
s_make_blob (panda_views_t *views, size_t size, char doc[PANDA_HASH_HEX_SIZE + 1])
{
    uint8_t *piece = malloc (PANDA_BLOB_PIECE_MAX);
    for (size_t i = 0; i < PANDA_BLOB_PIECE_MAX; i++)
        piece[i] = (uint8_t) (i * 131 + 7);
    size_t count = (size + PANDA_BLOB_PIECE_MAX - 1) / PANDA_BLOB_PIECE_MAX;
    char (*ids)[PANDA_HASH_HEX_SIZE + 1] = calloc (count, sizeof *ids);
    int rc = sqlite3_exec (panda_views_db (views), "BEGIN", NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
    for (size_t i = 0; rc == 0 && i < count; i++) {
        char label[64];
        snprintf (label, sizeof label, "bench piece %zu", i);
        size_t len = i + 1 < count ? PANDA_BLOB_PIECE_MAX : size - i * PANDA_BLOB_PIECE_MAX;
        sqlite3_int64 view = s_document (views, label, "blob_piece_v1", ids[i]);
        rc = view ? s_field (views, view, "blob_piece_v1", "data", 0, 0, NULL, piece, len) : -1;
    }
    sqlite3_int64 view = rc == 0 ? s_document (views, "bench blob", "blob_v1", doc) : 0;
    rc = view ? s_field (views, view, "blob_v1", "length", 0, (sqlite3_int64) size, NULL, NULL, 0) : -1;
    if (rc == 0)
        rc = s_field (views, view, "blob_v1", "mime_type", 0, 0, "video/webm", NULL, 0);
    for (size_t i = 0; rc == 0 && i < count; i++)
        rc = s_field (views, view, "blob_v1", "pieces", i, 0, ids[i], NULL, 0);
    if (rc == 0 && sqlite3_exec (panda_views_db (views), "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        rc = -1;
    free (ids);
    free (piece);
    return rc;
}

//  read + write to /dev/null of path, like `cat path > /dev/null`; bytes/s.
static double
s_cat (const char *path)
{
    char *buf = malloc (S_CAT_BUFFER);
    int in = open (path, O_RDONLY), out = open ("/dev/null", O_WRONLY);
    uint64_t start = bench_now_ns ();
    size_t total = 0;
    ssize_t n;
    while ((n = read (in, buf, S_CAT_BUFFER)) > 0) {
        if (write (out, buf, (size_t) n) != n)
            break;
        total += (size_t) n;
    }
    double seconds = (double) (bench_now_ns () - start) / 1e9;
    close (in), close (out), free (buf);
    return (double) total / seconds;
}

//  The loopback ceiling: a thread preads the file in 256 KiB chunks and
//  sends them over a local TCP connection; this thread receives them into
//  one buffer, discarding them. Any HTTP server here is bounded by it.
typedef struct {
    const char *path;
    int fd;
} s_sender_t;

static void *
s_sender (void *arg)
{
    s_sender_t *self = arg;
    char *buf = malloc (S_CAT_BUFFER * 2);
    int in = open (self->path, O_RDONLY);
    ssize_t n;
    while ((n = read (in, buf, S_CAT_BUFFER * 2)) > 0)
        for (ssize_t done = 0; done < n;) {
            ssize_t sent = send (self->fd, buf + done, (size_t) (n - done), 0);
            if (sent <= 0)
                goto end;
            done += sent;
        }
end:
    close (in), close (self->fd), free (buf);
    return NULL;
}

static double
s_loopback (const char *path)
{
    int listener = socket (AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl (INADDR_LOOPBACK)};
    socklen_t addr_len = sizeof addr;
    if (bind (listener, (struct sockaddr *) &addr, sizeof addr) || listen (listener, 1) ||
        getsockname (listener, (struct sockaddr *) &addr, &addr_len))
        return 0;
    int client = socket (AF_INET, SOCK_STREAM, 0);
    if (connect (client, (struct sockaddr *) &addr, sizeof addr))
        return 0;
    s_sender_t sender = {path, accept (listener, NULL, NULL)};
    close (listener);
    char *buf = malloc (S_CAT_BUFFER * 2);
    uint64_t start = bench_now_ns ();
    pthread_t thread;
    pthread_create (&thread, NULL, s_sender, &sender);
    size_t total = 0;
    ssize_t n;
    while ((n = recv (client, buf, S_CAT_BUFFER * 2, 0)) > 0)
        total += (size_t) n;
    double seconds = (double) (bench_now_ns () - start) / 1e9;
    pthread_join (thread, NULL);
    close (client), free (buf);
    return (double) total / seconds;
}

static double
s_get (panda_http_t *http, const char *path, size_t size)
{
    panda_http_response_t resp;
    uint64_t start = bench_now_ns ();
    int rc = panda_http_request (http, "GET", path, NULL, NULL, 0, &resp);
    double seconds = (double) (bench_now_ns () - start) / 1e9;
    bool ok = rc == 0 && resp.status == 200 && resp.body_len == size;
    panda_http_response_release (&resp);
    return ok ? (double) size / seconds : 0;
}

//  GET with a client that discards the body (no copy into one buffer):
//  what the server itself sustains. Connection: close ends the body.
static double
s_get_discard (int port, const char *path, size_t size)
{
    int fd = socket (AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET,
                               .sin_port = htons ((uint16_t) port),
                               .sin_addr.s_addr = htonl (INADDR_LOOPBACK)};
    if (connect (fd, (struct sockaddr *) &addr, sizeof addr))
        return 0;
    char request[256], *buf = malloc (S_CAT_BUFFER * 2);
    int len = snprintf (request, sizeof request,
                        "GET %s HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n", path);
    uint64_t start = bench_now_ns ();
    size_t total = 0;
    ssize_t n = send (fd, request, (size_t) len, 0);
    while (n > 0 && (n = recv (fd, buf, S_CAT_BUFFER * 2, 0)) > 0)
        total += (size_t) n;
    double seconds = (double) (bench_now_ns () - start) / 1e9;
    close (fd), free (buf);
    return total > size ? (double) size / seconds : 0; //  head + body
}

int
main (int argc, char **argv)
{
    size_t mb = argc > 1 ? strtoul (argv[1], NULL, 10) : 0;
    size_t size = mb ? mb * 1000 * 1000 : 400 * (size_t) PANDA_BLOB_PIECE_MAX;
    panda_pandad_t *node = panda_pandad_start (NULL, 30000);
    if (!node)
        return 1;
    char views_path[512], blobs[512], doc[PANDA_HASH_HEX_SIZE + 1], file[700], url[128];
    snprintf (views_path, sizeof views_path, "%s/pandad.sqlite3-views", panda_pandad_dir (node));
    snprintf (blobs, sizeof blobs, "%s/blobs", panda_pandad_dir (node));
    panda_error_t err;
    panda_views_t *views = panda_views_open (views_path, false, &err);
    uint64_t start = bench_now_ns ();
    if (!views || s_make_blob (views, size, doc) ||
        panda_blobs_sync (views, blobs, 8, NULL, NULL, NULL, &err) != PANDA_OK) {
        fprintf (stderr, "bench_blob: setup: %s\n", err.message);
        return 1;
    }
    printf ("blob of %zu bytes stored and written in %.2f s\n", size,
            (double) (bench_now_ns () - start) / 1e9);
    snprintf (file, sizeof file, "%s/%s", blobs, doc);
    snprintf (url, sizeof url, "/blobs/%s", doc);
    panda_http_t *http = panda_http_connect ("127.0.0.1", panda_pandad_port (node), 120000);
    double cat[S_RUNS], loop[S_RUNS], get[S_RUNS], raw[S_RUNS];
    s_cat (file), s_get (http, url, size); //  warm the page cache and the worker
    for (size_t i = 0; i < S_RUNS; i++) {
        cat[i] = s_cat (file);
        loop[i] = s_loopback (file);
        get[i] = s_get (http, url, size);
        raw[i] = s_get_discard (panda_pandad_port (node), url, size);
    }
    double cat_mb = bench_median (cat, S_RUNS) / 1e6, loop_mb = bench_median (loop, S_RUNS) / 1e6,
           get_mb = bench_median (get, S_RUNS) / 1e6, raw_mb = bench_median (raw, S_RUNS) / 1e6;
    printf ("1 cat (read + write /dev/null): %.0f MB/s (median of %d)\n", cat_mb, S_RUNS);
    printf ("2 file over loopback TCP:       %.0f MB/s (median of %d) [%.2fx cat]\n", loop_mb, S_RUNS,
            cat_mb > 0 ? loop_mb / cat_mb : 0);
    printf ("3 GET /blobs keep-alive:        %.0f MB/s (median of %d) [%.2fx cat, %.2fx loopback]\n", get_mb,
            S_RUNS, cat_mb > 0 ? get_mb / cat_mb : 0, loop_mb > 0 ? get_mb / loop_mb : 0);
    printf ("4 GET /blobs, body discarded:   %.0f MB/s (median of %d) [%.2fx cat, %.2fx loopback]\n", raw_mb,
            S_RUNS, cat_mb > 0 ? raw_mb / cat_mb : 0, loop_mb > 0 ? raw_mb / loop_mb : 0);
    panda_http_destroy (&http);
    panda_views_destroy (&views);
    panda_pandad_stop (&node);
    return get_mb > 0 ? 0 : 1;
}
