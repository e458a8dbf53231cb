/*  panda_cmd_blob.c - `panda blob upload|download`.

    upload FILE      as shirokuma's createBlob: the file is read from disk
                     one piece at a time (PANDA_SCHEMA_BLOB_PIECE_MAX =
                     256 000 bytes, the most a blob_piece_v1 may hold), each
                     piece a blob_piece_v1 CREATE in a log of its own, then
                     one blob_v1 CREATE naming the pieces in order. Memory use
                     does not grow with the file (34 bytes per piece id).
    download ID      GET /blobs/<id>[/<view id>] streamed to a file (written
                     beside it and renamed when complete) or stdout.        */
#include "panda_cmd.h"
#include "panda_client.h"
#include "panda/panda_view_id.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

//  A mime type from a file name's extension (people rarely pass one).
static const char *
s_guess_mime_type (const char *path)
{
    static const struct {
        const char *ext, *type;
    } table[] = {{"txt", "text/plain"},        {"md", "text/markdown"},    {"html", "text/html"},
                 {"htm", "text/html"},         {"css", "text/css"},        {"csv", "text/csv"},
                 {"json", "application/json"}, {"pdf", "application/pdf"}, {"zip", "application/zip"},
                 {"png", "image/png"},         {"jpg", "image/jpeg"},      {"jpeg", "image/jpeg"},
                 {"gif", "image/gif"},         {"webp", "image/webp"},     {"svg", "image/svg+xml"},
                 {"mp3", "audio/mpeg"},        {"ogg", "audio/ogg"},       {"wav", "audio/wav"},
                 {"mp4", "video/mp4"},         {"webm", "video/webm"},     {"js", "text/javascript"}};
    const char *dot = strrchr (path, '.');
    const char *slash = strrchr (path, '/');
    for (size_t i = 0; dot && (!slash || dot > slash) && i < sizeof table / sizeof table[0]; i++)
        if (strcasecmp (dot + 1, table[i].ext) == 0)
            return table[i].type;
    return "application/octet-stream";
}

//  Read up to len bytes (short only at end of file).
static ssize_t
s_read_full (int fd, uint8_t *buf, size_t len)
{
    size_t got = 0;
    while (got < len) {
        ssize_t n = read (fd, buf + got, len - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        if (n == 0)
            break;
        got += (size_t) n;
    }
    return (ssize_t) got;
}

typedef struct {
    const panda_client_t *client;
    const panda_keypair_t *keypair;
    panda_hash_t *pieces; //  view ids of the published pieces, in order
    size_t count, cap;
    uint64_t length;
} s_upload_t;

static panda_err_t
s_publish_piece (s_upload_t *up, const uint8_t *data, size_t len, panda_error_t *err)
{
    if (up->count == up->cap) {
        size_t cap = up->cap ? 2 * up->cap : 64;
        panda_hash_t *grown = realloc (up->pieces, cap * sizeof *grown);
        if (!grown)
            return panda_error_set (err, PANDA_ERR_NOMEM, "out of memory");
        up->pieces = grown;
        up->cap = cap;
    }
    panda_operation_t *op =
        panda_operation_new (PANDA_ACTION_CREATE, PANDA_SCHEMA_ID_BLOB_PIECE, NULL, 0, err);
    panda_value_t value;
    panda_value_set_bool (&value, false);
    panda_err_t rc = op ? panda_value_set_bytes (&value, data, len) : PANDA_ERR_NOMEM;
    if (rc == PANDA_OK)
        rc = panda_operation_set_field (op, "data", &value, err);
    panda_value_clear (&value);
    panda_client_published_t published;
    if (rc == PANDA_OK)
        rc = panda_client_publish (up->client, up->keypair, op, &published, err);
    panda_operation_destroy (&op);
    if (rc)
        return panda_error_prefix (err, "piece %zu: ", up->count + 1);
    if (panda_hash_from_hex (&up->pieces[up->count], published.operation_id, PANDA_HASH_HEX_SIZE, err))
        return PANDA_ERR_INTERNAL;
    up->count++;
    up->length += len;
    return PANDA_OK;
}

static panda_err_t
s_publish_blob (s_upload_t *up, const char *mime_type, panda_client_published_t *published,
                panda_error_t *err)
{
    panda_operation_t *op = panda_operation_new (PANDA_ACTION_CREATE, PANDA_SCHEMA_ID_BLOB, NULL, 0, err);
    panda_value_t value;
    panda_value_set_hash_list_list (&value);
    panda_err_t rc = op ? PANDA_OK : PANDA_ERR_NOMEM;
    for (size_t i = 0; rc == PANDA_OK && i < up->count; i++)
        rc = panda_value_append_list (&value, &up->pieces[i], 1);
    if (rc == PANDA_OK)
        rc = panda_operation_set_field (op, "pieces", &value, err);
    panda_value_clear (&value);
    panda_value_set_int (&value, (int64_t) up->length);
    if (rc == PANDA_OK)
        rc = panda_operation_set_field (op, "length", &value, err);
    if (rc == PANDA_OK && panda_value_set_str (&value, mime_type, strlen (mime_type)) == PANDA_OK) {
        rc = panda_operation_set_field (op, "mime_type", &value, err);
        panda_value_clear (&value);
    }
    if (rc == PANDA_OK &&
        panda_schema_validate_operation (panda_schema_system (PANDA_SCHEMA_ID_BLOB), op, err))
        rc = err ? err->code : PANDA_ERR_SCHEMA;
    if (rc == PANDA_OK)
        rc = panda_client_publish (up->client, up->keypair, op, published, err);
    else if (err && err->code == PANDA_OK)
        panda_error_set (err, rc, "out of memory");
    panda_operation_destroy (&op);
    return rc;
}

static int
s_upload (int argc, char **argv)
{
    const char *mime_type = NULL;
    panda_opt_t opts[] = {{"--mime-type", PANDA_OPT_VALUE, &mime_type}, {NULL, 0, NULL}};
    panda_opt_list_t positional = {.count = 0};
    panda_client_t client;
    panda_error_t err;
    if (panda_client_init (&client, argc, argv, 2, opts, &positional, &err))
        return panda_cmd_fail ("blob upload: %s (see panda help)", err.message);
    if (positional.count != 1)
        return panda_cmd_fail ("usage: panda blob upload FILE [--mime-type TYPE] --key KEY_FILE");
    const char *path = positional.items[0];
    if (!mime_type)
        mime_type = strcmp (path, "-") == 0 ? "application/octet-stream" : s_guess_mime_type (path);
    if (!panda_schema_mime_type_is_valid (mime_type, strlen (mime_type)))
        return panda_cmd_fail ("blob upload: --mime-type '%s' is not a mime type p2panda accepts", mime_type);
    panda_keypair_t *keypair = panda_client_load_key (&client, &err);
    if (!keypair)
        return panda_cmd_fail ("blob upload: %s", err.message);
    int fd = strcmp (path, "-") == 0 ? STDIN_FILENO : open (path, O_RDONLY | O_CLOEXEC);
    uint8_t *buf = malloc (PANDA_SCHEMA_BLOB_PIECE_MAX);
    s_upload_t up = {.client = &client, .keypair = keypair};
    int rc = 0;
    if (fd < 0)
        rc = panda_cmd_fail ("blob upload: %s: %s", path, strerror (errno));
    else if (!buf)
        rc = panda_cmd_fail ("out of memory");
    bool progress = !client.json && isatty (STDERR_FILENO);
    while (rc == 0) {
        ssize_t n = s_read_full (fd, buf, PANDA_SCHEMA_BLOB_PIECE_MAX);
        if (n < 0)
            rc = panda_cmd_fail ("blob upload: %s: %s", path, strerror (errno));
        else if (n == 0)
            break;
        else if (s_publish_piece (&up, buf, (size_t) n, &err))
            rc = panda_cmd_fail ("blob upload: %s", err.message);
        else if (progress)
            fprintf (stderr, "\rpanda: uploaded %zu piece(s), %" PRIu64 " bytes", up.count, up.length);
    }
    if (progress && up.count)
        fputc ('\n', stderr);
    if (fd > STDIN_FILENO)
        close (fd);
    free (buf);
    panda_client_published_t published;
    if (rc == 0 && up.count == 0)
        rc = panda_cmd_fail ("blob upload: %s is empty (a blob needs at least one byte)", path);
    else if (rc == 0 && s_publish_blob (&up, mime_type, &published, &err))
        rc = panda_cmd_fail ("blob upload: %s", err.message);
    if (rc == 0) {
        json_t *json =
            json_pack ("{s:s,s:s,s:I,s:s,s:I,s:s}", "documentId", published.operation_id, "viewId",
                       published.operation_id, "length", (json_int_t) up.length, "mimeType", mime_type,
                       "pieces", (json_int_t) up.count, "publicKey", published.public_key);
        if (client.json && json)
            panda_client_print_json (&client, json);
        else
            printf ("uploaded blob %s\n  length        %" PRIu64
                    " bytes in %zu piece(s)\n  mime type     %s\n"
                    "  download with panda blob download %s\n",
                    published.operation_id, up.length, up.count, mime_type, published.operation_id);
        json_decref (json);
    }
    free (up.pieces);
    panda_keypair_destroy (&keypair);
    return rc;
}

//  --- download --------------------------------------------------------------

typedef struct {
    const char *output; //  NULL: stdout
    char *temp; //  the file being written, renamed to output at the end
    FILE *file;
    int status;
    char message[256]; //  start of a non-200 answer's body
    size_t message_len;
    uint64_t written;
} s_download_t;

static int
s_download_head (void *ctx, const panda_http_answer_t *answer, panda_error_t *err)
{
    s_download_t *d = ctx;
    d->status = answer->status;
    if (answer->status != 200)
        return 0;
    if (!d->output) {
        d->file = stdout;
        return 0;
    }
    size_t len = strlen (d->output) + 16;
    d->temp = malloc (len);
    int fd = -1;
    if (d->temp) {
        snprintf (d->temp, len, "%s.partXXXXXX", d->output);
        fd = mkstemp (d->temp);
    }
    if (fd >= 0) {
        //  mkstemp makes 0600; the downloaded file gets what a new file would.
        mode_t mask = umask (0);
        umask (mask);
        if (fchmod (fd, 0666 & ~mask) != 0) {
            close (fd);
            unlink (d->temp);
            fd = -1;
        }
    }
    if (fd < 0 || !(d->file = fdopen (fd, "wb"))) {
        panda_error_set (err, PANDA_ERR_IO, "cannot write %s: %s", d->output, strerror (errno));
        if (fd >= 0)
            close (fd);
        if (fd >= 0)
            unlink (d->temp);
        free (d->temp);
        d->temp = NULL;
        return -1;
    }
    return 0;
}

static int
s_download_sink (void *ctx, const void *data, size_t len, panda_error_t *err)
{
    s_download_t *d = ctx;
    if (d->status != 200) {
        size_t room = sizeof d->message - 1 - d->message_len;
        size_t take = len < room ? len : room;
        memcpy (d->message + d->message_len, data, take);
        d->message_len += take;
        return 0;
    }
    if (fwrite (data, 1, len, d->file) != len) {
        panda_error_set (err, PANDA_ERR_IO, "cannot write %s: %s", d->output ? d->output : "stdout",
                         strerror (errno));
        return -1;
    }
    d->written += len;
    return 0;
}

//  Finish the output file: flush, then rename into place (or remove).
static bool
s_download_finish (s_download_t *d, bool ok)
{
    if (d->file && d->file != stdout) {
        ok = (fflush (d->file) == 0) && ok;
        ok = (fclose (d->file) == 0) && ok;
        if (ok && rename (d->temp, d->output) != 0)
            ok = false;
        if (!ok)
            unlink (d->temp);
    } else if (d->file)
        ok = fflush (d->file) == 0 && ok;
    d->file = NULL;
    free (d->temp);
    d->temp = NULL;
    return ok;
}

static void
s_sleep_ms (long ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
    while (nanosleep (&ts, &ts) != 0 && errno == EINTR)
        ;
}

static long long
s_now_ms (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int
s_download (int argc, char **argv)
{
    const char *output = NULL, *view_id = NULL, *wait = NULL;
    panda_opt_t opts[] = {{"--output", PANDA_OPT_VALUE, &output},
                          {"--view-id", PANDA_OPT_VALUE, &view_id},
                          {"--wait", PANDA_OPT_VALUE, &wait},
                          {NULL, 0, NULL}};
    panda_opt_list_t positional = {.count = 0};
    panda_client_t client;
    panda_error_t err;
    if (panda_client_init (&client, argc, argv, 2, opts, &positional, &err))
        return panda_cmd_fail ("blob download: %s (see panda help)", err.message);
    if (positional.count != 1)
        return panda_cmd_fail ("usage: panda blob download DOCUMENT_ID [--output FILE] [--view-id VIEW_ID] "
                               "[--wait SECONDS]");
    const char *id = positional.items[0];
    panda_hash_t hash;
    if (panda_hash_from_hex (&hash, id, strlen (id), &err))
        return panda_cmd_fail ("blob download: document id: %s", err.message);
    panda_hash_t *ids;
    size_t n_ids;
    if (view_id && panda_view_id_from_string (view_id, strlen (view_id), &ids, &n_ids, &err))
        return panda_cmd_fail ("blob download: --view-id: %s", err.message);
    if (view_id)
        free (ids);
    long wait_s = 0;
    if (wait && (strspn (wait, "0123456789") != strlen (wait) || !*wait || (wait_s = atol (wait)) > 86400))
        return panda_cmd_fail ("blob download: --wait: expected 0..86400 seconds, not '%s'", wait);
    if (output && strcmp (output, "-") == 0)
        output = NULL;
    char path[4096];
    snprintf (path, sizeof path, "/blobs/%s%s%s", id, view_id ? "/" : "", view_id ? view_id : "");
    long long deadline = s_now_ms () + wait_s * 1000;
    long pause_ms = 50;
    while (true) {
        s_download_t d = {.output = output};
        panda_http_request_t request = {.method = "GET",
                                        .path = path,
                                        .timeout_ms = client.timeout_ms,
                                        .on_head = s_download_head,
                                        .sink = s_download_sink,
                                        .ctx = &d};
        panda_http_answer_t answer;
        panda_err_t rc = panda_http_client_request (&client.url, &request, &answer, &err);
        if (!s_download_finish (&d, rc == PANDA_OK) && rc == PANDA_OK)
            return panda_cmd_fail ("blob download: cannot write %s: %s", output ? output : "stdout",
                                   strerror (errno));
        if (rc)
            return panda_cmd_fail ("blob download: %s", err.message);
        if (answer.status == 200) {
            if (output && !client.json)
                printf ("downloaded blob %s\n  %" PRIu64 " bytes (%s) to %s\n", id, d.written,
                        answer.content_type, output);
            else if (output) {
                json_t *json =
                    json_pack ("{s:s,s:I,s:s,s:s}", "documentId", id, "length", (json_int_t) d.written,
                               "mimeType", answer.content_type, "output", output);
                panda_client_print_json (&client, json);
                json_decref (json);
            }
            return 0;
        }
        //  Not there (yet): a fresh blob shows once the node has all its pieces.
        if (answer.status == 404 && s_now_ms () + pause_ms < deadline) {
            s_sleep_ms (pause_ms);
            pause_ms = pause_ms < 1000 ? pause_ms * 2 : 1000;
            continue;
        }
        d.message[d.message_len] = '\0';
        d.message[strcspn (d.message, "\r\n")] = '\0';
        return panda_cmd_fail ("blob download: the node at %s answered HTTP %d%s%s%s", client.url.text,
                               answer.status, d.message_len ? ": " : "", d.message,
                               answer.status == 404
                                   ? " (not a blob, deleted, or not all its pieces there yet: "
                                     "--wait SECONDS polls)"
                                   : "");
    }
}

int
panda_cmd_blob (int argc, char **argv)
{
    if (argc >= 2 && strcmp (argv[1], "upload") == 0)
        return s_upload (argc, argv);
    if (argc >= 2 && strcmp (argv[1], "download") == 0)
        return s_download (argc, argv);
    return panda_cmd_fail (
        "usage: panda blob upload FILE | panda blob download DOCUMENT_ID (see panda help)");
}
