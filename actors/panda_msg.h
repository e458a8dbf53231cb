/*  panda_msg.h - the catalogue of messages between actors, and their codec.

    Private to pandad (actors/). A message is a verb frame plus an optional
    body frame: a msgpack array of the verb's fields, in the order
    PANDA_MSG_LIST names them:
        U64  u64        ERR  u64 (a panda_err_t)
        TEXT text       BYTES bytes
    If a request expects a reply, field 0 is a u64 request id. Binary stays
    binary (hashes, keys, entry and operation bytes). Decoding checks the
    verb and every field's type and count: an unknown verb or a wrong shape
    is an error for the receiver to log and drop, never an assert.

    Actors build and read messages only through the typed functions
    generated from the catalogue, so a wrong field is a compile error:
        panda_msg_publish_new (req, entry, entry_len, op, op_len)
        panda_msg_publish_entry (msg, &len)
    Which socket each verb travels on: the plug table in panda_actors.h.

    This file is pure: encode/decode work on bytes. actors/ moves them over
    ZeroMQ frames (actor_msg.c).                                            */
#ifndef PANDA_MSG_H_INCLUDED
#define PANDA_MSG_H_INCLUDED

#include "panda/panda_err.h"

//  The catalogue. C: a control verb, on an actor's pipe only, no body.
//  X: a data verb with its fields (PANDA_MSG_FIELDS_<id>), its sender and
//  receivers, and the endpoints it travels on. The order is the wire id
//  order the fuzz corpus relies on: append, never reorder.
//  C (verb, id, what)
//  X (verb, id, name, sender -> receiver, endpoints)
#define PANDA_MSG_LIST(C, X)                                                                                 \
    C ("$TERM", PANDA_MSG_TERM, "node -> every actor: stop (CZMQ's own verb)")                               \
    C ("START", PANDA_MSG_START, "node -> every actor: fallible set-up, answered with a text frame")         \
    C ("VERBOSE", PANDA_MSG_VERBOSE, "node -> an actor: debug logging for this actor only")                  \
    X ("PUBLISH", PANDA_MSG_PUBLISH, publish, "api worker -> ingest -> verify[k] -> storage",                \
       "ingest_endpoint, verify_endpoint, storage_endpoint")                                                 \
    X ("NEXT_ARGS", PANDA_MSG_NEXT_ARGS, next_args, "api worker -> ingest -> storage",                       \
       "ingest_endpoint, storage_endpoint")                                                                  \
    X ("ARGS", PANDA_MSG_ARGS, args, "storage -> ingest -> api worker", "replies_endpoint, ingest_endpoint") \
    X ("FAILED", PANDA_MSG_FAILED, failed, "ingest | verify[k] | storage -> (ingest ->) api worker",         \
       "replies_endpoint, ingest_endpoint")                                                                  \
    X ("STORED", PANDA_MSG_STORED, stored, "storage -> materialize (PUB/SUB)", "events_endpoint")            \
    X ("SCHEMA", PANDA_MSG_SCHEMA, schema, "materialize -> api (PUB/SUB)", "schemas_endpoint")               \
    X ("PURGE", PANDA_MSG_PURGE, purge, "materialize -> storage", "storage_endpoint")                        \
    X ("PURGED", PANDA_MSG_PURGED, purged, "storage -> materialize (PUB/SUB)", "events_endpoint")            \
    X ("REPLICATE", PANDA_MSG_REPLICATE, replicate, "replicate -> ingest -> verify[k] -> storage",           \
       "ingest_endpoint, verify_endpoint, storage_endpoint")                                                 \
    X ("PEERS", PANDA_MSG_PEERS, peers, "api worker -> replicate", "replication_endpoint")                   \
    X ("PEERS_INFO", PANDA_MSG_PEERS_INFO, peers_info, "replicate -> api worker", "replication_endpoint")    \
    X ("DOCUMENT", PANDA_MSG_DOCUMENT, document, "materialize -> node (PUB/SUB)", "notify_endpoint")         \
    X ("PEER", PANDA_MSG_PEER, peer, "replicate -> node (PUB/SUB)", "notify_endpoint")

//  The fields of each data verb: F (verb name, type, field name).
//  A request and its answer: the api worker's request id comes back.
#define PANDA_MSG_FIELDS_PANDA_MSG_PUBLISH(F, v) F (v, U64, req) F (v, BYTES, entry) F (v, BYTES, op)
//  view: the document view id, n x 34 bytes of operation ids (n may be 0)
#define PANDA_MSG_FIELDS_PANDA_MSG_NEXT_ARGS(F, v) F (v, U64, req) F (v, BYTES, public_key) F (v, BYTES, view)
//  backlink, skiplink: 34 bytes, or empty for none
#define PANDA_MSG_FIELDS_PANDA_MSG_ARGS(F, v)                                                                \
    F (v, U64, req) F (v, U64, log_id) F (v, U64, seq_num) F (v, BYTES, backlink) F (v, BYTES, skiplink)
#define PANDA_MSG_FIELDS_PANDA_MSG_FAILED(F, v) F (v, U64, req) F (v, ERR, code) F (v, TEXT, message)
//  An entry was committed: its hash, its document, schema, store position,
//  and origin: the public key of the node it was replicated from (32
//  bytes), empty for a client's publish (live push never echoes it back).
#define PANDA_MSG_FIELDS_PANDA_MSG_STORED(F, v)                                                              \
    F (v, BYTES, operation_id)                                                                               \
    F (v, BYTES, document_id) F (v, TEXT, schema_id) F (v, U64, position) F (v, BYTES, origin)
//  The schema was materialised and recorded in the views database.
#define PANDA_MSG_FIELDS_PANDA_MSG_SCHEMA(F, v) F (v, TEXT, schema_id)
//  ids: n x 34 bytes of document ids. PURGE: delete their entries;
//  PURGED: their entries are gone.
#define PANDA_MSG_FIELDS_PANDA_MSG_PURGE(F, v) F (v, BYTES, ids)
#define PANDA_MSG_FIELDS_PANDA_MSG_PURGED(F, v) F (v, BYTES, ids)
//  An entry received from another node (origin: its 32-byte public key).
//  The publish path, except that an entry already stored is a success
//  (answered ARGS, no STORED event): concurrent sessions offer the same.
//  GET /replication: the replicate actor's state as JSON (its identity and
//  every connection with its counters).
#define PANDA_MSG_FIELDS_PANDA_MSG_PEERS(F, v) F (v, U64, req)
#define PANDA_MSG_FIELDS_PANDA_MSG_PEERS_INFO(F, v) F (v, U64, req) F (v, TEXT, json)
//  For an application embedding the node (panda_node.h): a document's
//  current view changed (kind: a panda_node_event_kind_t), after the views
//  commit; a peer connected (Hello done both ways) or disconnected. seq
//  counts each sender's events from 1, so the receiver sees what the PUB
//  dropped.
#define PANDA_MSG_FIELDS_PANDA_MSG_DOCUMENT(F, v)                                                            \
    F (v, U64, seq) F (v, U64, kind) F (v, TEXT, schema_id) F (v, BYTES, document_id) F (v, TEXT, view_id)
#define PANDA_MSG_FIELDS_PANDA_MSG_PEER(F, v)                                                                \
    F (v, U64, seq) F (v, U64, kind) F (v, TEXT, peer_id) F (v, TEXT, address)
#define PANDA_MSG_FIELDS_PANDA_MSG_REPLICATE(F, v)                                                           \
    F (v, U64, req) F (v, BYTES, entry) F (v, BYTES, op) F (v, BYTES, origin)

typedef enum {
#define PANDA_MSG_ENUM_C(verb, id, what) id,
#define PANDA_MSG_ENUM_X(verb, id, name, route, endpoints) id,
    PANDA_MSG_LIST (PANDA_MSG_ENUM_C, PANDA_MSG_ENUM_X)
#undef PANDA_MSG_ENUM_C
#undef PANDA_MSG_ENUM_X
        PANDA_MSG_COUNT
} panda_msg_id_t;

#define PANDA_MSG_MAX_FIELDS 8
#define PANDA_MSG_MAX_BODY (64u << 20) //  far above any entry + operation

typedef struct _panda_msg_t panda_msg_t;

//  C types of a field kind: as a constructor argument, as an accessor.
#define PANDA_MSG_ARG_U64(name) , uint64_t name
#define PANDA_MSG_ARG_ERR(name) , panda_err_t name
#define PANDA_MSG_ARG_TEXT(name) , const char *name
#define PANDA_MSG_ARG_BYTES(name) , const void *name, size_t name##_len
#define PANDA_MSG_GET_U64(v, name) uint64_t panda_msg_##v##_##name (const panda_msg_t *self);
#define PANDA_MSG_GET_ERR(v, name) panda_err_t panda_msg_##v##_##name (const panda_msg_t *self);
#define PANDA_MSG_GET_TEXT(v, name) const char *panda_msg_##v##_##name (const panda_msg_t *self);
#define PANDA_MSG_GET_BYTES(v, name)                                                                         \
    const uint8_t *panda_msg_##v##_##name (const panda_msg_t *self, size_t *len);

//  The argument list of a constructor (drops the leading comma).
#define PANDA_MSG_ARG(v, kind, name) PANDA_MSG_ARG_##kind (name)
#define PANDA_MSG_ARGS_(first, ...) __VA_ARGS__
#define PANDA_MSG_ARGS(...) PANDA_MSG_ARGS_ (__VA_ARGS__)
#define PANDA_MSG_GET(v, kind, name) PANDA_MSG_GET_##kind (v, name)

//  For each data verb, e.g. PUBLISH:
//    panda_msg_t *panda_msg_publish_new (uint64_t req, const void *entry,
//                                        size_t entry_len, const void *op, size_t op_len);
//  Text is NUL-terminated (NULL sends ""); bytes and text are copied.
//  Caller owns the result; NULL on OOM.
//    uint64_t panda_msg_publish_req (const panda_msg_t *self);
//    const uint8_t *panda_msg_publish_entry (const panda_msg_t *self, size_t *len);
//  Accessors return borrowed values, valid while self lives. self must be
//  of that verb (check panda_msg_id first): a mismatch is a bug that
//  asserts in debug builds and returns 0/NULL (len 0) in release.
#define PANDA_MSG_DECLARE_C(verb, id, what)
#define PANDA_MSG_DECLARE_X(verb, id, name, route, endpoints)                                                \
    panda_msg_t *panda_msg_##name##_new (PANDA_MSG_ARGS (_ PANDA_MSG_FIELDS_##id (PANDA_MSG_ARG, name)));    \
    PANDA_MSG_FIELDS_##id (PANDA_MSG_GET, name)
PANDA_MSG_LIST (PANDA_MSG_DECLARE_C, PANDA_MSG_DECLARE_X)
#undef PANDA_MSG_DECLARE_C
#undef PANDA_MSG_DECLARE_X

void panda_msg_destroy (panda_msg_t **self_p);

panda_msg_id_t panda_msg_id (const panda_msg_t *self);

//  Verb of a message id ("PUBLISH").
const char *panda_msg_name (panda_msg_id_t id);

//  The body frame (msgpack array), or len 0 for a verb without fields.
//  Borrowed, valid while self lives.
const uint8_t *panda_msg_body (panda_msg_t *self, size_t *len);

//  Decode a verb frame and an optional body frame (body may be NULL with
//  len 0). Returns a new message (caller owns) or NULL with err set:
//  PANDA_ERR_DECODE ("unknown verb", "PUBLISH: element 2 is not bytes", ...).
PANDA_NODISCARD panda_msg_t *panda_msg_decode (const uint8_t *verb, size_t verb_len, const uint8_t *body,
                                               size_t len, panda_error_t *err);

#endif
