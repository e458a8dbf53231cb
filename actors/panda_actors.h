/*  panda_actors.h - the actors of pandad and their shared glue.

    Every actor is a CZMQ zactor: a thread with its own sockets that talks
    to the others only through ZeroMQ (inproc by default, any endpoint from
    the config). Messages are frames of actors/panda_msg.h; requests that need
    an answer carry the api worker's routing identity as their first frame
    through the whole pipeline:

      api DEALER -> ingest ROUTER -> verify[k] PULL -> storage PULL
                        ^                 |               |  PUB STORED
                        +--- replies PULL <---------------+

    Every socket, its side, queue limit and verbs: actor_topology.c.

    Start-up: zactor_new starts the thread (which signals at once); the node
    then sends START and reads one text frame: "" when the actor is ready,
    else the reason it cannot run. $TERM stops an actor.                   */
#ifndef PANDA_ACTORS_H_INCLUDED
#define PANDA_ACTORS_H_INCLUDED

#include "panda/panda_config.h"
#include "panda/panda_schema.h"
#include "panda_metrics.h"
#include "panda_msg.h"
#include "panda_log_filter.h"

#include <czmq.h>

//  Arguments of every actor (borrowed; lives until the actor is destroyed).
typedef struct {
    const panda_config_t *config;
    unsigned index; //  verify: worker number
    unsigned workers; //  ingest: number of verify workers
    int port; //  api: set to the bound HTTP port before it answers START
    //  replicate: set before it answers START, for the start-up summary
    int node_port; //  the bound replication port
    char peer_id[64];
    const char *discovery; //  LAN discovery: "on UDP port ..." or "off: why"; the actor's
    panda_metrics_t *metrics; //  the node's counters (NULL: none kept)
} panda_actor_args_t;

void panda_api_actor (zsock_t *pipe, void *args);
void panda_ingest_actor (zsock_t *pipe, void *args);
void panda_verify_actor (zsock_t *pipe, void *args);
void panda_storage_actor (zsock_t *pipe, void *args);
void panda_materialize_actor (zsock_t *pipe, void *args);
void panda_replicate_actor (zsock_t *pipe, void *args);

//  Publish the commits of the migrate setting's lock files that the node
//  lacks, through ingest (node_migrate.c). Called by the node once the
//  pipeline runs, before the api. err names the file and the commit.
PANDA_NODISCARD panda_err_t panda_node_migrate (const panda_config_t *config, panda_error_t *err);

//  --------------------------------------------------------------------------
//  Messages over sockets (actor_msg.c)

//  Send msg (consumed, *msg_p NULLed) behind an optional routing identity
//  (consumed). Returns 0, or -1 when the socket refused it (logged).
int panda_actor_send (zsock_t *sock, zframe_t **identity, panda_msg_t **msg_p);

//  Receive one message. With identity non-NULL the first frame is taken as
//  the routing identity (caller owns *identity). Returns the message or
//  NULL when the frames were malformed (logged and dropped; *identity is
//  then NULL) or the socket was interrupted.
panda_msg_t *panda_actor_recv (zsock_t *sock, zframe_t **identity);

//  The body of every actor thread. Signals the pipe; on START calls start,
//  which creates the actor's sockets and adds the readable ones to poller,
//  and answers the reason it failed ("" when ready); then, until $TERM,
//  drains each readable socket: handler takes one message per call, and is
//  called while more waits, up to a budget (the back-pressure policy:
//  actor_topology.c). A handler never loops over its socket itself.
typedef const char *(panda_actor_start_fn) (void *self, zpoller_t *poller);
typedef void (panda_actor_handler_fn) (void *self, zsock_t *which);
void panda_actor_loop (zsock_t *pipe, void *self, panda_actor_start_fn *start,
                       panda_actor_handler_fn *handler);

//  The same with a timer: before each wait, wait (once started) gives the
//  milliseconds until handler(self, NULL) is due, -1 for none.
typedef int (panda_actor_wait_fn) (void *self);
void panda_actor_loop_timed (zsock_t *pipe, void *self, panda_actor_start_fn *start,
                             panda_actor_handler_fn *handler, panda_actor_wait_fn *wait);

//  The same for an actor that batches or coalesces what one drain brought:
//  after each drain of which (nothing more waits, or the budget is spent)
//  drained (self, which) is called once. wait may be NULL (no timer).
void panda_actor_loop_batched (zsock_t *pipe, void *self, panda_actor_start_fn *start,
                               panda_actor_handler_fn *handler, panda_actor_handler_fn *drained,
                               panda_actor_wait_fn *wait);

//  Name the calling thread (at most 15 characters shown), so top -H, perf
//  and gdb tell the actors apart. Called by each actor's start.
void panda_actor_set_name (const char *name);

//  Start an actor and wait for it to be ready. Returns it, or NULL with
//  err filled with the reason (PANDA_ERR_IO).
zactor_t *panda_actor_start (zactor_fn *fn, panda_actor_args_t *args, const char *name, panda_error_t *err);

//  --------------------------------------------------------------------------
//  Topology (actor_topology.c): every socket an actor opens on a configured
//  endpoint, with its type, side, queue limit and verbs; the back-pressure
//  policy is stated there.

typedef enum {
    PANDA_PLUG_API_PIPELINE, //  api worker DEALER to ingest_endpoint
    PANDA_PLUG_INGEST_REQUESTS, //  ingest ROUTER on ingest_endpoint
    PANDA_PLUG_INGEST_REPLIES, //  ingest PULL on replies_endpoint
    PANDA_PLUG_INGEST_VERIFY, //  ingest PUSH to verify_endpoint k
    PANDA_PLUG_INGEST_STORAGE, //  ingest PUSH to storage_endpoint
    PANDA_PLUG_VERIFY_IN, //  verify k PULL on verify_endpoint k
    PANDA_PLUG_VERIFY_STORAGE, //  verify PUSH to storage_endpoint
    PANDA_PLUG_VERIFY_REPLIES, //  verify PUSH to replies_endpoint
    PANDA_PLUG_STORAGE_IN, //  storage PULL on storage_endpoint
    PANDA_PLUG_STORAGE_REPLIES, //  storage PUSH to replies_endpoint
    PANDA_PLUG_STORAGE_EVENTS, //  storage PUB on events_endpoint
    PANDA_PLUG_MATERIALIZE_EVENTS, //  materialize SUB to events_endpoint
    PANDA_PLUG_MATERIALIZE_STORAGE, //  materialize PUSH to storage_endpoint
    PANDA_PLUG_MATERIALIZE_SCHEMAS, //  materialize PUB on schemas_endpoint
    PANDA_PLUG_API_SCHEMAS, //  api SUB to schemas_endpoint
    PANDA_PLUG_REPLICATE_PIPELINE, //  replicate DEALER to ingest_endpoint
    PANDA_PLUG_REPLICATE_EVENTS, //  replicate SUB to events_endpoint
    PANDA_PLUG_REPLICATE_SCHEMAS, //  replicate SUB to schemas_endpoint
    PANDA_PLUG_REPLICATE_INFO, //  replicate ROUTER on replication_endpoint
    PANDA_PLUG_API_REPLICATION, //  api worker DEALER to replication_endpoint
    PANDA_PLUG_MATERIALIZE_NOTIFY, //  materialize PUB to notify_endpoint
    PANDA_PLUG_REPLICATE_NOTIFY, //  replicate PUB to notify_endpoint
    PANDA_PLUG_NODE_NOTIFY, //  the node's event thread SUB on notify_endpoint
    PANDA_PLUG_COUNT
} panda_plug_t;

#define PANDA_MSG_BIT(id) (1u << (id))

typedef struct {
    const char *actor; //  who opens it
    int type; //  ZMQ_PUSH, ...
    bool bind; //  else connects
    size_t endpoint; //  offset of the endpoint's key in panda_config_t
    int hwm; //  send and receive queue limit, in messages
    unsigned verbs; //  PANDA_MSG_BIT of each verb sent or received on it
    bool immediate; //  across processes, queue only on live connections
} panda_plug_info_t;

//  Requests in flight are bounded by the api: a civetweb worker waits for
//  one answer at a time (http_threads, 1024 by default), so a pipeline
//  queue holds about that many at most. Sixteen times that leaves room
//  for bursts and stale answers; past it a stage has stopped, and the
//  limit keeps memory bounded (a queued PUBLISH is at most
//  http_max_body_bytes).
#define PANDA_ACTOR_PIPELINE_HWM 16384

//  The row of plug (borrowed, static), NULL past the end.
const panda_plug_info_t *panda_actor_plug_info (panda_plug_t plug);

//  The configured endpoint of plug (for verify, still with its '*').
const char *panda_actor_plug_endpoint (const panda_config_t *config, panda_plug_t plug);

//  Open plug's socket as its row says (verify endpoints numbered by
//  index; SUB subscribed to everything). NULL when that fails (logged with
//  the endpoint and ZeroMQ's reason).
zsock_t *panda_actor_plug (panda_plug_t plug, const panda_config_t *config, unsigned index);

//  A socket of type with the pipeline's queue limit, bound to or connected
//  to endpoint: for tests and benchmarks that stand in for an actor. NULL
//  when that fails (logged).
zsock_t *panda_actor_socket (int type, bool bind, const char *endpoint);

//  Make endpoint text for verify worker index (replacing '*'). Returns 0,
//  or -1 when it does not fit.
int panda_actor_verify_endpoint (const panda_config_t *config, unsigned index, char *out, size_t size);

//  Shard of an entry: which verify worker gets it, so that entries of one
//  log (public key, log id) keep their order. Reads only the entry's
//  header; malformed bytes go to worker 0, which reports the error.
unsigned panda_actor_shard (const uint8_t *entry, size_t len, unsigned workers);

//  The SQLite path of the entries database named by config->database_url
//  (caller frees): the file path, or for sqlite::memory: a "file:" URI of
//  SQLite's memdb VFS, named after the config so that the actors of one
//  node share it and another node in the same process does not.
char *panda_actor_store_path (const panda_config_t *config);

//  The views database path of that entries database (panda_views_path);
//  caller frees, NULL when out of memory.
char *panda_actor_views_path (const panda_config_t *config);

//  Take the node's exclusive lock on its database (actor_lock.c): flock on
//  "<database>-lock", which holds the owner's pid. Returns the lock's file
//  descriptor (closing it releases the lock; the kernel releases it when
//  the process dies, also on SIGKILL), -2 for an in-memory database (no
//  lock needed), or -1 with err naming the process that holds it.
int panda_actor_lock_database (const panda_config_t *config, panda_error_t *err);

//  The schemas an actor may publish to (actor_schemas.c): the system
//  schemas and the application schemas the materialiser recorded in the
//  views database, both filtered by the allow list. An application schema
//  is looked up in the views database the first time it is asked for, so
//  a schema is usable here as soon as the materialiser committed it (it
//  announces the schema only after that commit). One per actor thread.
typedef struct _panda_actor_schemas_t panda_actor_schemas_t;

//  Caller owns the result; NULL when out of memory.
panda_actor_schemas_t *panda_actor_schemas_new (const panda_config_t *config);

void panda_actor_schemas_destroy (panda_actor_schemas_t **self_p);

//  panda_store_schema_fn: the known, allowed schema with this id or NULL.
//  self is a panda_actor_schemas_t. Borrowed until the registry is freed.
const panda_schema_t *panda_actor_schemas_find (void *self, const char *schema_id);

//  True if the allow list lets schema_id in.
bool panda_actor_schema_allowed (const panda_config_t *config, const char *schema_id);

//  Split a routed request [identity][verb][body] received on sock into its
//  frames without decoding: returns the message (caller owns) and points
//  *msg at its decoded form (caller owns), or NULL when malformed (logged,
//  dropped).
zmsg_t *panda_actor_recv_raw (zsock_t *sock, panda_msg_t **msg);

//  Answer a request whose identity is the first frame of request (borrowed)
//  with FAILED [req, code, message] on sock.
void panda_actor_fail (zsock_t *sock, zmsg_t *request, uint64_t req, panda_err_t code, const char *message);

//  --------------------------------------------------------------------------
//  Logging (actor_log.c): one line per event on stderr, filtered per
//  actor by the log_level setting (lib/config/panda_log_filter.h).

//  Every actor at level (tests).
void panda_log_set_level (panda_log_level_t level);
//  The node's log_level, parsed; set before the node starts.
void panda_log_set_filter (const panda_log_filter_t *filter);
//  True if lines of actor at level are shown.
bool panda_log_enabled (const char *actor, panda_log_level_t level);
void panda_log (panda_log_level_t level, const char *actor, const char *format, ...)
    __attribute__ ((format (printf, 3, 4)));
//  A line the operator needs whatever the filter says (the start-up
//  summary, the URL): logged at info if actor's info lines are shown,
//  else printed bare on stdout, as aquadoggo's info_or_print. text may
//  span several lines; it leaves in one write.
void panda_log_key (const char *actor, const char *text);

#define panda_log_error(actor, ...) panda_log (PANDA_LOG_ERROR, actor, __VA_ARGS__)
#define panda_log_warn(actor, ...) panda_log (PANDA_LOG_WARN, actor, __VA_ARGS__)
#define panda_log_info(actor, ...) panda_log (PANDA_LOG_INFO, actor, __VA_ARGS__)
#define panda_log_debug(actor, ...)                                                                          \
    do {                                                                                                     \
        if (panda_log_enabled (actor, PANDA_LOG_DEBUG))                                                      \
            panda_log (PANDA_LOG_DEBUG, actor, __VA_ARGS__);                                                 \
    } while (0)

#endif
