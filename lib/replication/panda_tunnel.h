/*  panda_tunnel.h - an end-to-end channel between two nodes through a relay
    that can neither read nor forge it (docs/replication.md, "Relay").

    Both ends know each other's node key. The node with the smaller key
    opens; the other answers. Keys come from four X25519 agreements (static
    and ephemeral keys of both, as Noise KK does), so the relay, which has
    neither static secret, cannot derive them; a fresh ephemeral pair per
    tunnel means frames of an old tunnel never decrypt in a new one. Each
    direction is one libsodium secretstream: a lost, reordered, replayed or
    altered frame fails to decrypt, and the tunnel starts over.

    Payloads (what a Forward carries):
      Open   [1][ephemeral key:32][echo:32]  echo: zero from the opener, the
             opener's ephemeral key in the answer (so an old answer is
             never taken for the current one)
      Data   [2][secretstream header:24 on the first frame][ciphertext]
      Reset  [3]  the answering side lost the tunnel: open again (an
             opener whose Open is out waits for its answer instead)

    Pure code: no sockets, no clock. The caller carries the payloads.       */
#ifndef PANDA_TUNNEL_H_INCLUDED
#define PANDA_TUNNEL_H_INCLUDED

#include "panda/panda_err.h"
#include "panda_cbor.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PANDA_TUNNEL_OPEN_SIZE 65
#define PANDA_TUNNEL_OVERHEAD 42 //  most bytes Data adds to a plaintext (first frame)

typedef struct _panda_tunnel_t panda_tunnel_t;

typedef enum {
    PANDA_TUNNEL_NONE, //  nothing for the caller (a stale or duplicate payload)
    PANDA_TUNNEL_UP, //  a new tunnel is ready: the connection inside starts over
    PANDA_TUNNEL_DATA, //  *plain holds a frame of the connection inside
    PANDA_TUNNEL_DOWN //  the tunnel broke: the connection inside is gone
} panda_tunnel_event_t;

//  A tunnel between our node (Ed25519 public key, the X25519 secret key
//  derived from it) and theirs (Ed25519 public key). Starts closed. NULL with err.
panda_tunnel_t *panda_tunnel_new (const uint8_t our_node_key[32], const uint8_t our_curve_secret[32],
                                  const uint8_t their_node_key[32], panda_error_t *err);
void panda_tunnel_destroy (panda_tunnel_t **self_p);

//  Whether we open (our node key is the smaller).
bool panda_tunnel_opener (const panda_tunnel_t *self);

//  Whether Data can go through.
bool panda_tunnel_ready (const panda_tunnel_t *self);

//  Whether our Open is out and its answer not in yet.
bool panda_tunnel_opening (const panda_tunnel_t *self);

//  The way through is gone (the relay connection closed): down, quietly.
void panda_tunnel_close (panda_tunnel_t *self);

//  Start (again): the opener writes a new Open, the other side a Reset.
//  Whatever was up is down. The payload is appended to out.
PANDA_NODISCARD panda_err_t panda_tunnel_start (panda_tunnel_t *self, panda_cbor_writer_t *out,
                                                panda_error_t *err);

//  One payload from the other end. A reply (an answering Open) is appended
//  to out. DATA: *plain and *plain_len point into the tunnel's buffer,
//  valid until the next call. A Data that fails to decrypt is DOWN (and
//  the opener's caller starts again); a malformed payload is an error,
//  state unchanged.
PANDA_NODISCARD panda_err_t panda_tunnel_input (panda_tunnel_t *self, const uint8_t *payload, size_t len,
                                                panda_cbor_writer_t *out, panda_tunnel_event_t *event,
                                                const uint8_t **plain, size_t *plain_len, panda_error_t *err);

//  Seal plain (one frame of the connection inside) as a Data payload,
//  appended to out. PANDA_ERR_INVALID when the tunnel is not ready.
PANDA_NODISCARD panda_err_t panda_tunnel_seal (panda_tunnel_t *self, const uint8_t *plain, size_t len,
                                               panda_cbor_writer_t *out, panda_error_t *err);

#ifdef __cplusplus
}
#endif
#endif
