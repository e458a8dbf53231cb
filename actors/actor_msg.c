/*  actor_msg.c - moving actors/panda_msg.h messages over ZeroMQ sockets.      */
#include "panda_actors.h"

#include "panda/panda_keypair.h"
#include "panda/panda_varu64.h"

#include <string.h>
#include <sys/prctl.h>

//  A handler takes at most this many messages per wake-up before the loop
//  polls again (the back-pressure policy: actor_topology.c).
#define S_DRAIN_MAX 256

int
panda_actor_send (zsock_t *sock, zframe_t **identity, panda_msg_t **msg_p)
{
    panda_msg_t *msg = *msg_p;
    *msg_p = NULL;
    if (!msg) {
        zframe_destroy (identity);
        return -1;
    }
    zmsg_t *frames = zmsg_new ();
    if (identity && *identity)
        zmsg_append (frames, identity);
    const char *verb = panda_msg_name (panda_msg_id (msg));
    zmsg_addmem (frames, verb, strlen (verb));
    size_t len;
    const uint8_t *body = panda_msg_body (msg, &len);
    if (len)
        zmsg_addmem (frames, body, len);
    panda_msg_destroy (&msg);
    int rc = zmsg_send (&frames, sock);
    if (rc != 0) {
        panda_log_error ("msg", "send failed: %s", zmq_strerror (zmq_errno ()));
        zmsg_destroy (&frames);
    }
    return rc;
}

//  Decode a verb frame and an optional body frame; NULL (logged) if malformed.
static panda_msg_t *
s_decode (zframe_t *verb, zframe_t *body)
{
    panda_error_t err;
    panda_msg_t *msg =
        panda_msg_decode (zframe_data (verb), zframe_size (verb), body ? zframe_data (body) : NULL,
                          body ? zframe_size (body) : 0, &err);
    if (!msg)
        panda_log_warn ("msg", "dropped a malformed message: %s", err.message);
    return msg;
}

panda_msg_t *
panda_actor_recv (zsock_t *sock, zframe_t **identity)
{
    zmsg_t *frames = zmsg_recv (sock);
    if (!frames)
        return NULL;
    if (identity)
        *identity = zmsg_pop (frames);
    zframe_t *verb = zmsg_pop (frames);
    zframe_t *body = zmsg_pop (frames);
    panda_msg_t *msg = NULL;
    if (!verb || zmsg_size (frames) != 0)
        panda_log_warn ("msg", "dropped a message with %zu frames", zmsg_size (frames) + 2);
    else
        msg = s_decode (verb, body);
    zframe_destroy (&verb);
    zframe_destroy (&body);
    zmsg_destroy (&frames);
    if (!msg && identity)
        zframe_destroy (identity);
    return msg;
}

void
panda_actor_loop (zsock_t *pipe, void *self, panda_actor_start_fn *start, panda_actor_handler_fn *handler)
{
    panda_actor_loop_batched (pipe, self, start, handler, NULL, NULL);
}

void
panda_actor_loop_timed (zsock_t *pipe, void *self, panda_actor_start_fn *start,
                        panda_actor_handler_fn *handler, panda_actor_wait_fn *wait)
{
    panda_actor_loop_batched (pipe, self, start, handler, NULL, wait);
}

void
panda_actor_loop_batched (zsock_t *pipe, void *self, panda_actor_start_fn *start,
                          panda_actor_handler_fn *handler, panda_actor_handler_fn *drained,
                          panda_actor_wait_fn *wait)
{
    zsock_signal (pipe, 0);
    zpoller_t *poller = zpoller_new (pipe, NULL);
    bool started = false;
    while (poller) {
        zsock_t *which = zpoller_wait (poller, started && wait ? wait (self) : -1);
        if (which == pipe) {
            panda_msg_t *cmd = panda_actor_recv (pipe, NULL);
            panda_msg_id_t id = cmd ? panda_msg_id (cmd) : PANDA_MSG_TERM;
            panda_msg_destroy (&cmd);
            if (id == PANDA_MSG_TERM)
                break;
            if (id == PANDA_MSG_START && !started) {
                const char *reason = start (self, poller);
                started = reason == NULL;
                zstr_send (pipe, reason ? reason : "");
            }
        } else if (which) {
            //  Take what is already queued before polling again: one wake-up
            //  then serves many messages under load. Bounded so that $TERM
            //  on the pipe is still seen.
            int budget = S_DRAIN_MAX;
            do
                handler (self, which);
            while (--budget && (zsock_events (which) & ZMQ_POLLIN));
            if (drained)
                drained (self, which);
        } else if (zpoller_terminated (poller))
            break;
        else if (started && wait)
            handler (self, NULL); //  the timer is due
    }
    zpoller_destroy (&poller);
}

void
panda_actor_set_name (const char *name)
{
    char short_name[16];
    snprintf (short_name, sizeof short_name, "%s", name);
    prctl (PR_SET_NAME, short_name, 0, 0, 0);
}

zactor_t *
panda_actor_start (zactor_fn *fn, panda_actor_args_t *args, const char *name, panda_error_t *err)
{
    zactor_t *actor = zactor_new (fn, args);
    if (!actor) {
        panda_error_set (err, PANDA_ERR_IO, "%s: cannot start the thread", name);
        return NULL;
    }
    zstr_send (actor, "START");
    char *reason = zstr_recv (actor);
    if (!reason || *reason) {
        panda_error_set (err, PANDA_ERR_IO, "%s: %s", name, reason ? reason : "interrupted");
        zactor_destroy (&actor);
    }
    zstr_free (&reason);
    return actor;
}

int
panda_actor_verify_endpoint (const panda_config_t *config, unsigned index, char *out, size_t size)
{
    const char *star = strchr (config->verify_endpoint, '*');
    int n = star ? snprintf (out, size, "%.*s%u%s", (int) (star - config->verify_endpoint),
                             config->verify_endpoint, index, star + 1)
                 : snprintf (out, size, "%s", config->verify_endpoint);
    return n < 0 || (size_t) n >= size ? -1 : 0;
}

unsigned
panda_actor_shard (const uint8_t *entry, size_t len, unsigned workers)
{
    //  Entry header: tag byte, 32-byte public key, varu64 log id (spec §3).
    if (workers <= 1 || len < 1 + PANDA_PUBLIC_KEY_SIZE)
        return 0;
    const uint8_t *ptr = entry + 1 + PANDA_PUBLIC_KEY_SIZE, *end = entry + len;
    uint64_t log_id = 0;
    panda_error_t err;
    if (panda_varu64_decode (&log_id, &ptr, end, &err) != PANDA_OK)
        return 0;
    //  FNV-1a over key and log id: cheap and spreads keys evenly.
    uint64_t h = 14695981039346656037ull;
    for (size_t i = 1; i < 1 + PANDA_PUBLIC_KEY_SIZE; i++)
        h = (h ^ entry[i]) * 1099511628211ull;
    h = (h ^ log_id) * 1099511628211ull;
    return (unsigned) (h % workers);
}

zmsg_t *
panda_actor_recv_raw (zsock_t *sock, panda_msg_t **msg)
{
    *msg = NULL;
    zmsg_t *frames = zmsg_recv (sock);
    if (!frames)
        return NULL;
    zmsg_first (frames); //  the identity stays in place for forwarding
    zframe_t *verb = zmsg_next (frames);
    zframe_t *body = verb ? zmsg_next (frames) : NULL;
    if (!verb || zmsg_size (frames) > 3)
        panda_log_warn ("msg", "dropped a request with %zu frames", zmsg_size (frames));
    else
        *msg = s_decode (verb, body);
    if (!*msg)
        zmsg_destroy (&frames);
    return frames;
}

void
panda_actor_fail (zsock_t *sock, zmsg_t *request, uint64_t req, panda_err_t code, const char *message)
{
    zframe_t *identity = zframe_dup (zmsg_first (request));
    panda_msg_t *reply = panda_msg_failed_new (req, code, message);
    panda_actor_send (sock, &identity, &reply);
}
