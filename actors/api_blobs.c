/*  api_blobs.c - GET|HEAD /blobs/<document_id>[/<view_id>] (node-api §1.6).

    The blob view is looked up through the worker's own read-only views
    connection, then its file <blobs_base_path>/<view_id> (written by
    panda_blobs_sync) is streamed in chunks with Content-Length, never read
    whole. Beyond aquadoggo: HEAD, and single `Range: bytes=` requests
    (206 / 416) for media players; several ranges get the whole file.   */
#include "api.h"

#include "panda_blob.h"
#include "panda/panda_hash.h"
#include "panda/panda_view_id.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

//  Body chunk size; a file up to this size leaves with its head in one write.
#define S_CHUNK (256u << 10)
#define S_HEAD_MAX 2048
#define S_PATH_MAX 4096

static const char s_missing[] = "Could not find document";
static const char s_text[] = "text/plain; charset=utf-8";

static int
s_text_answer (struct mg_connection *conn, int status, const char *body)
{
    panda_api_respond (conn, status, s_text, body, strlen (body), NULL);
    return status;
}

//  400 unless the path holds a valid document id and, after a slash, a
//  valid view id (canonical: the parser rejects unsorted ids).
static bool
s_parse (struct mg_connection *conn, const char *rest, panda_hash_t *document_id, const char **view_id)
{
    const char *slash = strchr (rest, '/');
    size_t doc_len = slash ? (size_t) (slash - rest) : strlen (rest);
    panda_error_t err;
    panda_err_t rc = panda_hash_from_hex (document_id, rest, doc_len, &err);
    if (rc == PANDA_OK && slash) {
        panda_hash_t *ids = NULL;
        size_t count;
        rc = panda_view_id_from_string (slash + 1, strlen (slash + 1), &ids, &count, &err);
        free (ids);
    }
    *view_id = slash ? slash + 1 : NULL;
    if (rc == PANDA_OK)
        return true;
    char body[PANDA_ERROR_MESSAGE_MAX + 64];
    snprintf (body, sizeof body, "Could not parse identifier: %s", err.message);
    s_text_answer (conn, 400, body);
    return false;
}

//  The worker's views connection, opened on first use (NULL while the
//  materialiser has not created the database: then nothing is a blob).
static panda_views_t *
s_views (panda_api_t *api, panda_api_worker_t *worker)
{
    if (worker->blob_views)
        return worker->blob_views;
    char *path = panda_actor_views_path (api->config);
    panda_error_t err;
    if (path)
        worker->blob_views = panda_views_open (path, true, &err);
    free (path);
    return worker->blob_views;
}

//  If-None-Match with weak comparison (W/ ignored on both sides), or `*`.
static bool
s_none_match (const char *header, const char *etag)
{
    size_t etag_len = strlen (etag);
    const char *p = header;
    while (*p) {
        while (*p == ' ' || *p == '\t' || *p == ',')
            p++;
        if (*p == '*')
            return true;
        if (strncmp (p, "W/", 2) == 0)
            p += 2;
        const char *end = *p == '"' ? strchr (p + 1, '"') : NULL;
        if (!end) { //  not a quoted tag: skip it
            while (*p && *p != ',')
                p++;
            continue;
        }
        end++;
        if ((size_t) (end - p) == etag_len && memcmp (p, etag, etag_len) == 0)
            return true;
        p = end;
    }
    return false;
}

//  Parse a non-negative decimal; returns the end or NULL.
static const char *
s_number (const char *p, int64_t *out)
{
    if (*p < '0' || *p > '9')
        return NULL;
    int64_t n = 0;
    for (; *p >= '0' && *p <= '9'; p++) {
        if (n > (INT64_MAX - 9) / 10)
            return NULL;
        n = n * 10 + (*p - '0');
    }
    *out = n;
    return p;
}

//  Range header against a file of size bytes: 0 = serve it whole (no,
//  malformed or several ranges), 1 = [*first, *last], -1 = unsatisfiable.
static int
s_range (const char *header, int64_t size, int64_t *first, int64_t *last)
{
    if (!header || strncasecmp (header, "bytes=", 6) != 0 || strchr (header, ','))
        return 0;
    const char *p = header + 6;
    while (*p == ' ')
        p++;
    int64_t a = -1, b = -1;
    if (*p != '-' && !(p = s_number (p, &a)))
        return 0;
    if (*p++ != '-')
        return 0;
    if (*p >= '0' && *p <= '9' && !(p = s_number (p, &b)))
        return 0;
    while (*p == ' ')
        p++;
    if (*p || (a < 0 && b < 0) || (a >= 0 && b >= 0 && b < a))
        return 0;
    if (a < 0) { //  suffix: the last b bytes
        if (b == 0 || size == 0)
            return -1;
        *first = b < size ? size - b : 0;
        *last = size - 1;
        return 1;
    }
    if (a >= size)
        return -1;
    *first = a;
    *last = b >= 0 && b < size - 1 ? b : size - 1;
    return 1;
}

//  Write head, then count bytes of fd from offset in chunks; the first
//  chunk rides with the head.
static void
s_send (struct mg_connection *conn, char *buf, size_t head_len, int fd, int64_t offset, int64_t count)
{
    size_t fill = head_len;
    while (true) {
        size_t room = S_CHUNK + S_HEAD_MAX - fill;
        size_t want = count < (int64_t) room ? (size_t) count : room;
        ssize_t n = want ? pread (fd, buf + fill, want, offset) : 0;
        if (n < 0 && errno == EINTR)
            continue;
        if (n > 0)
            fill += (size_t) n, offset += n, count -= n;
        if (fill && mg_write (conn, buf, fill) <= 0)
            return; //  the client went away
        fill = 0;
        if (n <= 0 || count == 0)
            return; //  a file shortened under us ends the body early
    }
}

//  The common steps of §1.6 once the view is known: ETag, mime type, the
//  file, then 200, 206, 304 or 416.
static int
s_serve (struct mg_connection *conn, panda_api_t *api, const panda_blob_info_t *info)
{
    const struct mg_request_info *ri = mg_get_request_info (conn);
    char etag[PANDA_BLOBS_VIEW_ID_MAX + 8];
    snprintf (etag, sizeof etag, "\"%s\"", info->view_id);
    const char *inm = mg_get_header (conn, "If-None-Match");
    char head[S_HEAD_MAX];
    if (inm && s_none_match (inm, etag)) {
        int n = snprintf (head, sizeof head,
                          "HTTP/1.1 304 Not Modified\r\n" PANDA_API_CORS "ETag: %s\r\n\r\n", etag);
        mg_write (conn, head, (size_t) n);
        return 304;
    }
    const char *mime = info->mime_type;
    if (!mime || strlen (mime) > S_HEAD_MAX / 2 || strpbrk (mime, "\r\n"))
        return s_text_answer (
            conn, 500, "Something went wrong: Blob document did not contain a valid 'mime_type' field");
    char path[S_PATH_MAX];
    snprintf (path, sizeof path, "%s/%s", api->config->blobs_base_path, info->view_id);
    int fd = open (path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat (fd, &st) != 0) {
        if (fd >= 0)
            close (fd);
        return s_text_answer (conn, 404, s_missing);
    }
    int64_t size = st.st_size, first = 0, last = size - 1;
    const char *if_range = mg_get_header (conn, "If-Range");
    int range = if_range && strcmp (if_range, etag) != 0
                    ? 0
                    : s_range (mg_get_header (conn, "Range"), size, &first, &last);
    int status = range > 0 ? 206 : range < 0 ? 416 : 200;
    char extra[96] = "";
    if (range > 0)
        snprintf (extra, sizeof extra, "Content-Range: bytes %" PRId64 "-%" PRId64 "/%" PRId64 "\r\n", first,
                  last, size);
    else if (range < 0)
        snprintf (extra, sizeof extra, "Content-Range: bytes */%" PRId64 "\r\n", size);
    int64_t count = range < 0 ? 0 : last - first + 1;
    int n = snprintf (head, sizeof head,
                      "HTTP/1.1 %d %s\r\n" PANDA_API_CORS "Content-Type: %s\r\nETag: %s\r\n"
                      "Accept-Ranges: bytes\r\n%sContent-Length: %" PRId64 "\r\n\r\n",
                      status, mg_get_response_code_text (conn, status), range < 0 ? s_text : mime, etag,
                      extra, count);
    bool head_only = strcmp (ri->request_method, "HEAD") == 0;
    char *buf = n > 0 && (size_t) n < sizeof head ? malloc (S_CHUNK + S_HEAD_MAX) : NULL;
    if (buf) {
        memcpy (buf, head, (size_t) n);
        s_send (conn, buf, (size_t) n, fd, first, head_only ? 0 : count);
        free (buf);
    }
    close (fd);
    return status;
}

int
panda_api_blobs (struct mg_connection *conn, panda_api_t *api, panda_api_worker_t *worker, const char *rest)
{
    panda_hash_t document_id;
    const char *view_id;
    if (!s_parse (conn, rest, &document_id, &view_id))
        return 400;
    panda_views_t *views = worker ? s_views (api, worker) : NULL;
    if (!views)
        return s_text_answer (conn, 404, s_missing);
    panda_blob_info_t info;
    panda_error_t err;
    panda_err_t rc = panda_blobs_find (views, &document_id, view_id, &info, &err);
    if (rc == PANDA_ERR_NOT_FOUND)
        return s_text_answer (conn, 404, s_missing);
    if (rc != PANDA_OK) {
        char body[PANDA_ERROR_MESSAGE_MAX + 64];
        snprintf (body, sizeof body, "Something went wrong: %s", err.message);
        return s_text_answer (conn, 500, body);
    }
    int status = s_serve (conn, api, &info);
    panda_blob_info_release (&info);
    return status;
}
