/*  panda_msg.h - the catalogue of messages between actors, and their codec.

    Private to pandad (lib/ and actors/). A message is a verb frame plus an
    optional body frame: a msgpack array whose element types are fixed per
    verb by the layout string in PANDA_MSG_LIST:
        u  u64      i  i64      t  bool      s  text      b  bytes
    If a request expects a reply, element 0 is a u64 request id. Binary stays
    binary (hashes, keys, entry and operation bytes). Decoding checks the
    verb and every element's type and count: an unknown verb or a wrong
    shape is an error for the receiver to log and drop, never an assert.

    This file is pure: encode/decode work on bytes. actors/ moves them over
    ZeroMQ frames (actor_msg.c).                                            */
#ifndef PANDA_MSG_H_INCLUDED
#define PANDA_MSG_H_INCLUDED

#include "panda/panda_err.h"

//  verb           id                    layout  body
#define PANDA_MSG_LIST(X)                                                                                    \
    X ("$TERM", PANDA_MSG_TERM, "") /*  stop the actor (CZMQ's own verb)             */                      \
    X ("START", PANDA_MSG_START, "") /*  fallible set-up, answered with a text frame  */                     \
    X ("VERBOSE", PANDA_MSG_VERBOSE, "") /*  debug logging for this actor only            */                 \
    X ("PUBLISH", PANDA_MSG_PUBLISH, "ubb") /*  [req, entry, operation]                      */              \
    X ("NEXT_ARGS", PANDA_MSG_NEXT_ARGS, "ubb") /*  [req, public key, view id ids (n x 34)]   */             \
    X ("ARGS", PANDA_MSG_ARGS, "uuubb") /*  [req, log_id, seq_num, backlink, skiplink] */                    \
    X ("FAILED", PANDA_MSG_FAILED, "uus") /*  [req, panda_err_t, message]                  */                \
    X ("STORED", PANDA_MSG_STORED, "bbsu") /*  [operation_id, document_id, schema_id, pos]  */               \
    X ("SCHEMA", PANDA_MSG_SCHEMA, "s") /*  [schema id]: materialised and recorded       */                  \
    X ("PURGE", PANDA_MSG_PURGE, "b") /*  [document ids (n x 34)]: delete their entries */                   \
    X ("PURGED", PANDA_MSG_PURGED, "b") /*  [document ids (n x 34)]: their entries are gone */

typedef enum {
#define PANDA_MSG_ENUM(verb, id, layout) id,
    PANDA_MSG_LIST (PANDA_MSG_ENUM)
#undef PANDA_MSG_ENUM
        PANDA_MSG_COUNT
} panda_msg_id_t;

#define PANDA_MSG_MAX_FIELDS 8
#define PANDA_MSG_MAX_BODY (64u << 20) //  far above any entry + operation

typedef struct _panda_msg_t panda_msg_t;

//  A new message; the variadic arguments follow the verb's layout:
//  u: uint64_t, i: int64_t, t: int (0/1), s: const char * (NUL-terminated),
//  b: const void *, size_t. Bytes and text are copied. Caller owns the
//  result; NULL on OOM.
panda_msg_t *panda_msg_new (panda_msg_id_t id, ...);

void panda_msg_destroy (panda_msg_t **self_p);

panda_msg_id_t panda_msg_id (const panda_msg_t *self);

//  Verb of a message id ("PUBLISH").
const char *panda_msg_name (panda_msg_id_t id);

//  Field accessors; index and type must match the layout (a mismatch is a
//  bug: asserts in debug builds, returns 0/NULL in release).
uint64_t panda_msg_u64 (const panda_msg_t *self, size_t index);
int64_t panda_msg_i64 (const panda_msg_t *self, size_t index);
bool panda_msg_bool (const panda_msg_t *self, size_t index);
//  Text, NUL-terminated. Borrowed.
const char *panda_msg_str (const panda_msg_t *self, size_t index);
//  Bytes, *len set. Borrowed.
const uint8_t *panda_msg_bin (const panda_msg_t *self, size_t index, size_t *len);

//  The body frame (msgpack array), or len 0 for an empty layout. Borrowed,
//  valid while self lives.
const uint8_t *panda_msg_body (panda_msg_t *self, size_t *len);

//  Decode a verb frame and an optional body frame (body may be NULL with
//  len 0). Returns a new message (caller owns) or NULL with err set:
//  PANDA_ERR_DECODE ("unknown verb", "PUBLISH: element 2 is not bytes", ...).
PANDA_NODISCARD panda_msg_t *panda_msg_decode (const uint8_t *verb, size_t verb_len, const uint8_t *body,
                                               size_t len, panda_error_t *err);

#endif
