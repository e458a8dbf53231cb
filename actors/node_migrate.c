/*  node_migrate.c - publish the lock files of the migrate setting at start.

    What aquadoggo's Node::migrate does for an application that ships its
    schemas: each schema.lock (fishy's format, lib/core/panda_schema_lock.c)
    is read and checked whole first, then its commits go, in order, through
    the node's own pipeline as a client's would (a DEALER to ingest: the
    same decode, schema, signature and log checks, the same commit, the
    materialiser told by the same STORED event). A commit the node already
    has (NEXT_ARGS for its own id finds it, behind the log's head) is
    skipped, so a restart publishes nothing again. The node starts only
    if every file went in: an error names the file and the commit.       */
#include "panda_actors.h"

#include "panda/panda_schema_lock.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    zsock_t *pipeline;
    uint64_t req;
    int timeout_ms;
} s_migrate_t;

static char *
s_read (const char *path, size_t *len, panda_error_t *err)
{
    FILE *f = fopen (path, "rb");
    if (!f)
        return panda_error_set (err, PANDA_ERR_IO, "migrate %s: cannot read it: %s", path, strerror (errno)),
               NULL;
    char *text = malloc (PANDA_SCHEMA_LOCK_MAX_BYTES + 2);
    size_t n = text ? fread (text, 1, PANDA_SCHEMA_LOCK_MAX_BYTES + 1, f) : 0;
    bool failed = ferror (f);
    fclose (f);
    if (!text || failed || n > PANDA_SCHEMA_LOCK_MAX_BYTES) {
        free (text);
        return panda_error_set (err, PANDA_ERR_IO, "migrate %s: %s", path,
                                !text    ? "out of memory"
                                : failed ? "read error"
                                         : "larger than 16 MiB"),
               NULL;
    }
    *len = n;
    return text;
}

//  Send request, wait for its answer (ARGS or FAILED). NULL on timeout.
static panda_msg_t *
s_call (s_migrate_t *self, panda_msg_t *request)
{
    if (!request || panda_actor_send (self->pipeline, NULL, &request))
        return NULL;
    zmq_pollitem_t item = {zsock_resolve (self->pipeline), 0, ZMQ_POLLIN, 0};
    int64_t deadline = zclock_mono () + self->timeout_ms;
    while (true) {
        int64_t left = deadline - zclock_mono ();
        if (left <= 0 || zmq_poll (&item, 1, (long) left) <= 0)
            return NULL;
        panda_msg_t *reply = panda_actor_recv (self->pipeline, NULL);
        if (!reply)
            continue;
        uint64_t req = panda_msg_id (reply) == PANDA_MSG_ARGS     ? panda_msg_args_req (reply)
                       : panda_msg_id (reply) == PANDA_MSG_FAILED ? panda_msg_failed_req (reply)
                                                                  : 0;
        if (req == self->req)
            return reply;
        panda_msg_destroy (&reply);
    }
}

//  Commit index of lock: 1 published, 0 already stored, -1 failed (err).
static int
s_commit (s_migrate_t *self, const panda_schema_lock_t *lock, size_t index, panda_error_t *err)
{
    const panda_entry_t *entry = panda_schema_lock_entry (lock, index);
    panda_public_key_t pk = panda_entry_public_key (entry);
    const panda_hash_t *id = panda_entry_hash (entry);
    panda_msg_t *reply = s_call (self, panda_msg_next_args_new (++self->req, pk.bytes, PANDA_PUBLIC_KEY_SIZE,
                                                                id->bytes, PANDA_HASH_SIZE));
    if (!reply)
        return panda_error_set (err, PANDA_ERR_IO, "the pipeline did not answer nextArgs"), -1;
    bool found = panda_msg_id (reply) == PANDA_MSG_ARGS;
    //  The operation was found, in a document since deleted.
    if (!found && strcmp (panda_msg_failed_message (reply), "Document is deleted") == 0) {
        panda_msg_destroy (&reply);
        return 0;
    }
    if (!found && panda_msg_failed_code (reply) != PANDA_ERR_NOT_FOUND) {
        panda_error_set (err, panda_msg_failed_code (reply), "%s", panda_msg_failed_message (reply));
        panda_msg_destroy (&reply);
        return -1;
    }
    bool stored = found && panda_msg_args_log_id (reply) == panda_entry_log_id (entry) &&
                  panda_msg_args_seq_num (reply) > panda_entry_seq_num (entry);
    panda_msg_destroy (&reply);
    if (found && !stored)
        return panda_error_set (err, PANDA_ERR_INVALID, "the node has this operation in another log"), -1;
    if (stored)
        return 0;
    size_t entry_len, op_len;
    const uint8_t *entry_bytes = panda_entry_bytes (entry, &entry_len);
    const uint8_t *op_bytes = panda_schema_lock_operation_bytes (lock, index, &op_len);
    reply = s_call (self, panda_msg_publish_new (++self->req, entry_bytes, entry_len, op_bytes, op_len));
    if (!reply)
        return panda_error_set (err, PANDA_ERR_IO, "the pipeline did not answer the publish"), -1;
    int rc = 1;
    if (panda_msg_id (reply) == PANDA_MSG_FAILED)
        rc = -1, panda_error_set (err, panda_msg_failed_code (reply), "the node refused it: %s",
                                  panda_msg_failed_message (reply));
    panda_msg_destroy (&reply);
    return rc;
}

static panda_err_t
s_migrate_file (s_migrate_t *self, const char *path, panda_error_t *err)
{
    size_t len;
    char *text = s_read (path, &len, err);
    if (!text)
        return err->code;
    panda_schema_lock_t *lock = panda_schema_lock_parse (text, len, err);
    free (text);
    if (!lock)
        return panda_error_prefix (err, "migrate %s: ", path);
    size_t count = panda_schema_lock_count (lock), published = 0;
    panda_err_t rc = PANDA_OK;
    for (size_t i = 0; i < count && !rc; i++) {
        int done = s_commit (self, lock, i, err);
        if (done < 0) {
            char hex[PANDA_HASH_HEX_SIZE + 1];
            rc = panda_error_prefix (
                err, "migrate %s: commit %zu (%s): ", path, i + 1,
                panda_hash_to_hex (panda_entry_hash (panda_schema_lock_entry (lock, i)), hex));
        }
        published += done > 0;
    }
    panda_schema_lock_destroy (&lock);
    if (!rc)
        panda_log_info ("pandad", "migrate %s: published %zu of %zu commits (%zu were stored already)", path,
                        published, count, count - published);
    return rc;
}

panda_err_t
panda_node_migrate (const panda_config_t *config, panda_error_t *err)
{
    if (config->migrate.count == 0)
        return PANDA_OK;
    //  Each request waits for verify and storage, which ingest bounds.
    s_migrate_t self = {
        .pipeline = panda_actor_plug (PANDA_PLUG_API_PIPELINE, config, 0),
        .timeout_ms =
            (int) (config->pipeline_timeout_ms < 600000 ? config->pipeline_timeout_ms : 600000) + 5000};
    if (!self.pipeline)
        return panda_error_set (err, PANDA_ERR_IO, "migrate: cannot reach ingest_endpoint");
    zsock_set_linger (self.pipeline, 0);
    panda_err_t rc = PANDA_OK;
    for (size_t i = 0; i < config->migrate.count && !rc; i++)
        rc = s_migrate_file (&self, config->migrate.items[i], err);
    zsock_destroy (&self.pipeline);
    return rc;
}
