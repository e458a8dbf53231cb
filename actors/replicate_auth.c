/*  replicate_auth.c - the ZAP handler (ZeroMQ RFC 27) that decides which
    nodes may open a CurveZMQ connection to a replicate actor's ROUTER.

    libzmq asks the handler bound on inproc://zeromq.zap.01 about every
    incoming handshake, naming the socket's ZAP domain and the client's
    CURVE public key. The answer here follows the node's peer policy:
    blocked keys never pass, with an allow list only listed keys pass, and
    anything that is not CURVE is refused. A refused client gets no
    connection, so it can neither send nor learn anything.

    One handler serves the whole process (libzmq allows one per context),
    so two nodes in one process each register their policy under their own
    domain. CZMQ's zauth cannot say "any key except these", hence our own.

    Accepts:  ZAP requests   on REP @inproc://zeromq.zap.01 (from libzmq)
    Emits:    ZAP replies    (200 with User-Id = the client key in hex, or 400)  */
#include "panda_actors.h"
#include "replicate.h"

#include <pthread.h>
#include <string.h>

#define S_ZAP_ENDPOINT "inproc://zeromq.zap.01"
#define S_MAX_DOMAINS 16

typedef struct {
    char domain[32];
    const panda_replicate_policy_t *policy; //  borrowed from the registering actor
} s_domain_t;

static pthread_mutex_t s_lock = PTHREAD_MUTEX_INITIALIZER;
static s_domain_t s_domains[S_MAX_DOMAINS];
static size_t s_n_domains;
static zactor_t *s_handler;

static bool
s_key_in (const uint8_t (*keys)[32], size_t n, const uint8_t *key)
{
    for (size_t i = 0; i < n; i++)
        if (memcmp (keys[i], key, 32) == 0)
            return true;
    return false;
}

bool
panda_replicate_policy_admits (const panda_replicate_policy_t *policy, const uint8_t *curve_key)
{
    if (s_key_in ((const uint8_t (*)[32]) policy->blocked, policy->n_blocked, curve_key))
        return false;
    return policy->allow_any ||
           s_key_in ((const uint8_t (*)[32]) policy->allowed, policy->n_allowed, curve_key);
}

//  The decision for one request: "200" or "400" and why.
static const char *
s_decide (const char *domain, const char *mechanism, zframe_t *key, const char **why)
{
    if (strcmp (mechanism, "CURVE") != 0 || !key || zframe_size (key) != 32) {
        *why = "CURVE required";
        return "400";
    }
    bool admitted = false, known = false;
    pthread_mutex_lock (&s_lock);
    for (size_t i = 0; i < s_n_domains; i++)
        if (strcmp (s_domains[i].domain, domain) == 0) {
            known = true;
            admitted = panda_replicate_policy_admits (s_domains[i].policy, zframe_data (key));
        }
    pthread_mutex_unlock (&s_lock);
    *why = !known ? "unknown domain" : admitted ? "OK" : "peer not allowed";
    return admitted ? "200" : "400";
}

//  args: the REP socket, bound by the registering thread so that a failed
//  bind is seen there (without a handler libzmq would admit everyone).
static void
s_handler_actor (zsock_t *pipe, void *args)
{
    zsock_t *zap = args;
    zsock_signal (pipe, 0);
    zpoller_t *poller = zpoller_new (pipe, zap, NULL);
    while (poller) {
        void *which = zpoller_wait (poller, -1);
        if (which != zap)
            break; //  $TERM or interrupted
        zmsg_t *request = zmsg_recv (zap);
        if (!request)
            break;
        char *version = zmsg_popstr (request), *id = zmsg_popstr (request);
        char *domain = zmsg_popstr (request), *address = zmsg_popstr (request);
        zframe_t *routing = zmsg_pop (request);
        char *mechanism = zmsg_popstr (request);
        zframe_t *key = zmsg_pop (request);
        const char *why = "malformed request";
        const char *status = version && id && domain && mechanism && strcmp (version, "1.0") == 0
                                 ? s_decide (domain, mechanism, key, &why)
                                 : "400";
        char user[65] = "";
        if (strcmp (status, "200") == 0)
            for (size_t i = 0; i < 32; i++)
                snprintf (user + 2 * i, 3, "%02x", zframe_data (key)[i]);
        else
            panda_log_debug ("replicate", "refused a connection from %s: %s", address ? address : "?", why);
        zsock_send (zap, "ssssss", "1.0", id ? id : "", status, why, user, "");
        zstr_free (&version);
        zstr_free (&id);
        zstr_free (&domain);
        zstr_free (&address);
        zstr_free (&mechanism);
        zframe_destroy (&routing);
        zframe_destroy (&key);
        zmsg_destroy (&request);
    }
    zpoller_destroy (&poller);
    zsock_destroy (&zap);
}

int
panda_replicate_auth_register (const char *domain, const panda_replicate_policy_t *policy)
{
    int rc = -1;
    pthread_mutex_lock (&s_lock);
    if (s_n_domains < S_MAX_DOMAINS && strlen (domain) < sizeof s_domains[0].domain) {
        zsock_t *zap = s_handler ? NULL : zsock_new_rep (S_ZAP_ENDPOINT);
        if (zap && !(s_handler = zactor_new (s_handler_actor, zap)))
            zsock_destroy (&zap);
        if (s_handler) {
            snprintf (s_domains[s_n_domains].domain, sizeof s_domains[0].domain, "%s", domain);
            s_domains[s_n_domains++].policy = policy;
            rc = 0;
        }
    }
    pthread_mutex_unlock (&s_lock);
    return rc;
}

void
panda_replicate_auth_unregister (const char *domain)
{
    zactor_t *stop = NULL;
    pthread_mutex_lock (&s_lock);
    for (size_t i = 0; i < s_n_domains; i++)
        if (strcmp (s_domains[i].domain, domain) == 0) {
            s_domains[i] = s_domains[--s_n_domains];
            break;
        }
    if (s_n_domains == 0) {
        stop = s_handler;
        s_handler = NULL;
    }
    pthread_mutex_unlock (&s_lock);
    zactor_destroy (&stop);
}
