/*  panda_repl_msg.h - node-to-node replication messages: C structs and the
    CBOR codec of node-api §9.2, plus pandad's extensions.

    Every message is one CBOR array whose first element is its type. A
    ZeroMQ frame carries one or more messages back to back (aquadoggo's
    framing, node-api §9.1, with many Entry messages batched in one frame).
    Frames are whole, so a truncated item is a decode error, not "wait for
    more bytes".

    aquadoggo's messages, byte-exact:
      0   Announce     [0, protocol_version (1), timestamp, schema_ids]
      1   SyncRequest  [1, session_id, mode, target_set]  (target set non-empty)
      2   Entry        [2, session_id, entry:bytes, operation:bytes|null]
      3   SyncDone     [3, session_id, live_mode:bool]
      10  Have         [10, session_id, [[public_key:bytes(32), [[log_id, seq_num]...]]...]]
    pandad's extensions (docs/replication.md, "Wire extensions"):
      100 Hello        [100, protocol_version (2), network_tag:bytes(8),
                        psk_proof:bytes(32)|null, max_frame_bytes,
                        node_key:bytes(32)]
      12  Ranges       [12, session_id, ranges]  ranges: one CBOR item, opaque here
      13  Credit       [13, entries, bytes]  the receiver grants the sender that
                                              many more entries and bytes
      SyncRequest mode 2: log heights with set reconciliation (Ranges).
      SyncDone live_mode true: the session stays open for live push.
    pandad's relay messages, between a node and a relay (relay_mode):
      20  Register     [20, ttl_seconds, port]  register for ttl; port: where
                                                 we accept connections, 0 none
      21  Registered   [21, ttl_seconds, observed_address:text]
      22  Lookup       [22]  which nodes of my network are registered?
      23  Peers        [23, [[node_key:bytes(32), address:text]...]]
                        address: observed host:port to dial, "" when none
      24  Forward      [24, node_key:bytes(32), payload:bytes]  node -> relay:
                        deliver to node_key; relay -> node: from node_key
      25  Refused      [25, node_key:bytes(32), reason:text]  a forward to
                        node_key was not delivered; its circuit is closed
      26  Ack          [26, bytes]  forwarded payload bytes the node consumed

    Decoding follows aquadoggo's messages and strictness: an unknown type,
    a missing or extra field, a wrongly typed field, an invalid or unsorted
    schema id set, an empty target set, a seq num of 0 and a non-canonical
    CBOR head are errors. LogId and SeqNum are also accepted as decimal
    strings; they are always sent as integers. Stricter than aquadoggo: an
    Entry must have its operation field (null when absent). Public keys in a
    Have are checked for length only; the session layer decides what an
    unknown or invalid key means.

    Ownership of a decoded message: byte fields (entry, operation, ranges,
    psk proof, node key, texts, payload, relay peers' addresses) BORROW the frame, which must
    outlive the message; schema id sets, Have authors and logs and the relay peers array are OWNED and
   released with panda_repl_msg_clear. On error nothing is left allocated. The encoder only reads the message,
   so a caller may point its fields at its own storage and never call clear on it. */
#ifndef PANDA_REPL_MSG_H_INCLUDED
#define PANDA_REPL_MSG_H_INCLUDED

#include "panda_cbor.h"
#include "panda_schema_set.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    PANDA_REPL_ANNOUNCE = 0,
    PANDA_REPL_SYNC_REQUEST = 1,
    PANDA_REPL_ENTRY = 2,
    PANDA_REPL_SYNC_DONE = 3,
    PANDA_REPL_HAVE = 10,
    PANDA_REPL_RANGES = 12, //  pandad
    PANDA_REPL_CREDIT = 13, //  pandad
    PANDA_REPL_REGISTER = 20, //  pandad relay
    PANDA_REPL_REGISTERED = 21,
    PANDA_REPL_LOOKUP = 22,
    PANDA_REPL_PEERS = 23,
    PANDA_REPL_FORWARD = 24,
    PANDA_REPL_REFUSED = 25,
    PANDA_REPL_ACK = 26,
    PANDA_REPL_HELLO = 100 //  pandad
} panda_repl_type_t;

#define PANDA_REPL_ANNOUNCE_VERSION 1 //  aquadoggo's replication protocol version
#define PANDA_REPL_HELLO_VERSION 2 //  pandad's protocol version, sent in Hello
#define PANDA_REPL_MODE_LOG_HEIGHT 0
#define PANDA_REPL_MODE_SET_RECONCILIATION 1 //  the handbook's, never implemented
#define PANDA_REPL_MODE_LOG_HEIGHT_RANGES 2 //  pandad: log heights by Ranges
#define PANDA_REPL_NETWORK_TAG_SIZE 8
#define PANDA_REPL_PSK_PROOF_SIZE 32
#define PANDA_REPL_PUBLIC_KEY_SIZE 32

//  Bounds on what one frame may make the decoder read and allocate.
#define PANDA_REPL_MAX_FRAME_BYTES (2u << 20) //  holds the largest entry + operation
#define PANDA_REPL_MAX_AUTHORS 65536 //  per Have
#define PANDA_REPL_MAX_LOGS 1048576 //  per Have, all authors together
#define PANDA_REPL_MAX_SCHEMA_IDS 4096 //  per schema id set
#define PANDA_REPL_MAX_ENTRY_BYTES 226 //  PANDA_ENTRY_MAX_SIZE: both links, 9-byte varu64s
#define PANDA_REPL_MAX_OPERATION_BYTES (1u << 20) //  what a 2 MiB HTTP publish can carry
#define PANDA_REPL_MAX_RELAY_PEERS 1024 //  per Peers message
#define PANDA_REPL_MAX_TEXT 255 //  an address or a reason

typedef struct {
    size_t max_frame_bytes;
    size_t max_authors;
    size_t max_logs;
    size_t max_schema_ids;
    size_t max_entry_bytes;
    size_t max_operation_bytes;
} panda_repl_limits_t;

typedef struct {
    uint64_t log_id;
    uint64_t seq_num; //  latest seq num held, >= 1
} panda_repl_log_height_t;

//  A node registered at a relay (Peers).
typedef struct {
    uint8_t node_key[PANDA_REPL_PUBLIC_KEY_SIZE];
    const char *address; //  not NUL-terminated when decoded: address_len
    size_t address_len;
} panda_repl_relay_peer_t;

typedef struct {
    uint8_t public_key[PANDA_REPL_PUBLIC_KEY_SIZE];
    panda_repl_log_height_t *logs; //  owned when decoded
    size_t n_logs;
} panda_repl_author_t;

//  One message. Only the fields of its type are meaningful; the rest stay
//  zero after decoding.
typedef struct {
    panda_repl_type_t type;
    uint64_t session_id; //  SyncRequest, Entry, SyncDone, Have, Ranges
    uint64_t protocol_version; //  Announce, Hello
    uint64_t timestamp; //  Announce: seconds since the epoch
    panda_schema_set_t schema_ids; //  Announce: supported set; SyncRequest: target set
    uint64_t mode; //  SyncRequest: PANDA_REPL_MODE_*, any value decodes
    const uint8_t *entry; //  Entry: raw bamboo entry
    size_t entry_len;
    const uint8_t *operation; //  Entry: raw CBOR operation, NULL for null
    size_t operation_len;
    bool live_mode; //  SyncDone
    panda_repl_author_t *authors; //  Have, one per author
    size_t n_authors;
    const uint8_t *ranges; //  Ranges: one whole CBOR item
    size_t ranges_len;
    uint64_t credit_entries; //  Credit
    uint64_t credit_bytes;
    uint8_t network_tag[PANDA_REPL_NETWORK_TAG_SIZE]; //  Hello
    const uint8_t *psk_proof; //  Hello: PANDA_REPL_PSK_PROOF_SIZE bytes, NULL for null
    uint64_t max_frame_bytes; //  Hello: the largest frame the sender accepts
    const uint8_t *node_key; //  Hello: the sender's Ed25519 node key (its CURVE key is derived from it);
                             //  Forward, Refused: the other end of the circuit
    uint64_t ttl; //  Register, Registered: seconds
    uint64_t port; //  Register
    const char *text; //  Registered: observed address; Refused: reason (text_len bytes)
    size_t text_len;
    const uint8_t *payload; //  Forward
    size_t payload_len;
    panda_repl_relay_peer_t *relay_peers; //  Peers: owned when decoded
    size_t n_relay_peers;
    uint64_t acked_bytes; //  Ack
} panda_repl_msg_t;

//  Walks the messages of one frame.
typedef struct {
    const uint8_t *data; //  the frame, borrowed
    size_t len;
    size_t offset; //  start of the next message
    size_t index; //  number of messages read so far
    panda_repl_limits_t limits;
} panda_repl_reader_t;

//  The default limits (the PANDA_REPL_MAX_* values).
panda_repl_limits_t panda_repl_limits_default (void);

//  Static name of a message type ("Announce", ...), "unknown" otherwise.
const char *panda_repl_type_name (uint64_t type);

//  Start an empty message (all fields zero).
void panda_repl_msg_init (panda_repl_msg_t *self);

//  Free what a decoded message owns and zero it; accepts a zeroed message.
void panda_repl_msg_clear (panda_repl_msg_t *self);

//  Decode the first message of data[0..len) into self (which is
//  overwritten, not cleared: clear it first if it held a message). On
//  success *consumed is the length of that message; data may hold more.
//  limits NULL means the defaults. Errors: PANDA_ERR_DECODE with aquadoggo's
//  message where it has one ("unknown message type", "too many fields for
//  p2panda message", "missing session id in replication message", "invalid
//  target set in sync request message: ..."), PANDA_ERR_LIMIT, PANDA_ERR_NOMEM.
PANDA_NODISCARD panda_err_t panda_repl_msg_decode (panda_repl_msg_t *self, const uint8_t *data, size_t len,
                                                   const panda_repl_limits_t *limits, size_t *consumed,
                                                   panda_error_t *err);

//  Append the canonical encoding of msg to writer. Refuses (writer left as
//  it was) what a peer would reject: PANDA_ERR_INVALID for an unknown type,
//  an unsorted schema id set, an empty target set, a missing entry, a seq
//  num of 0, ranges that are not exactly one well-formed CBOR item;
//  PANDA_ERR_NOMEM if the writer failed.
PANDA_NODISCARD panda_err_t panda_repl_msg_encode (const panda_repl_msg_t *msg, panda_cbor_writer_t *writer,
                                                   panda_error_t *err);

//  Start reading a frame. limits NULL means the defaults. Errors: an empty
//  frame (PANDA_ERR_DECODE), a frame over max_frame_bytes (PANDA_ERR_LIMIT).
PANDA_NODISCARD panda_err_t panda_repl_reader_init (panda_repl_reader_t *self, const uint8_t *data,
                                                    size_t len, const panda_repl_limits_t *limits,
                                                    panda_error_t *err);

//  True while the frame holds another message.
bool panda_repl_reader_more (const panda_repl_reader_t *self);

//  Decode the next message into msg (overwritten; clear it after use).
//  Errors are those of panda_repl_msg_decode, prefixed with the message's
//  index and offset; after an error the rest of the frame is not trusted
//  (more() is false). Reading past the end is PANDA_ERR_INTERNAL.
PANDA_NODISCARD panda_err_t panda_repl_reader_next (panda_repl_reader_t *self, panda_repl_msg_t *msg,
                                                    panda_error_t *err);

#ifdef __cplusplus
}
#endif
#endif
