/*  panda_err.h - error codes and human-readable error messages.

    Every lib/ function that can fail returns a panda_err_t (PANDA_OK is 0)
    and, when the caller passes a panda_error_t, fills it with a message that
    names the field or byte at fault. These messages are what the node returns
    to clients as GraphQL errors, so where a reference message exists (spec
    data-types.md §10) the text is the reference text.                       */
#ifndef PANDA_ERR_H_INCLUDED
#define PANDA_ERR_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

//  PANDA_NOINLINE keeps a helper's large locals (message buffers) out of
//  the frames of the recursive functions that call it.
#if defined(__GNUC__)
#define PANDA_NODISCARD __attribute__ ((warn_unused_result))
#define PANDA_PRINTF(f, a) __attribute__ ((format (printf, f, a)))
#define PANDA_NOINLINE __attribute__ ((noinline))
#else
#define PANDA_NODISCARD
#define PANDA_PRINTF(f, a)
#define PANDA_NOINLINE
#endif

typedef enum {
    PANDA_OK = 0,
    PANDA_ERR_NOMEM, //  out of memory
    PANDA_ERR_DECODE, //  malformed bytes or text (hex, varu64, CBOR, entry)
    PANDA_ERR_INVALID, //  well-formed but breaks a protocol rule
    PANDA_ERR_SIGNATURE, //  ed25519 signature or key rejected
    PANDA_ERR_SCHEMA, //  operation does not match its schema
    PANDA_ERR_DOCUMENT, //  operations do not form a valid document
    PANDA_ERR_NOT_FOUND, //  something referenced does not exist
    PANDA_ERR_LIMIT, //  a size, depth or count limit was exceeded
    PANDA_ERR_IO, //  file system or database failure
    PANDA_ERR_INTERNAL //  a broken invariant caught in a release build
} panda_err_t;

#define PANDA_ERROR_MESSAGE_MAX 1024

//  An error code plus its message. Declare one on the stack and pass its
//  address; functions accept NULL when the caller only wants the code.
typedef struct {
    panda_err_t code;
    char message[PANDA_ERROR_MESSAGE_MAX];
} panda_error_t;

//  Static, short name of an error code ("decode error", ...).
const char *panda_strerror (panda_err_t code);

//  Set err (if not NULL) to code and a printf-formatted message; returns code
//  so a failing path can `return panda_error_set (err, ...)`.
panda_err_t panda_error_set (panda_error_t *err, panda_err_t code, const char *format, ...)
    PANDA_PRINTF (3, 4);

//  Prefix err's message with a printf-formatted context, keeping the code
//  ("field 'x' does not match schema: " + message). Returns err's code.
panda_err_t panda_error_prefix (panda_error_t *err, const char *format, ...) PANDA_PRINTF (2, 3);

//  Reset err to PANDA_OK with an empty message.
void panda_error_clear (panda_error_t *err);

//  PANDA_NEVER (cond): a condition that must never hold. Asserts in debug
//  builds; in release builds evaluates to cond so the caller can bail out.
#ifdef NDEBUG
#define PANDA_NEVER(x) (x)
#else
#include <assert.h>
#define PANDA_NEVER(x) (assert (!(x)), (x))
#endif

#ifdef __cplusplus
}
#endif
#endif
