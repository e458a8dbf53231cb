/*  panda_view_id.h - document view ids: canonical sets of operation ids.

    A document view id names one state of a document: the set of graph tips
    (operations without successors) that were reduced (spec data-types.md
    §6.2). Canonical form: the 34-byte ids sorted ascending by bytes (= hex
    string order), no duplicates, at least one id. String form: the hex ids
    joined by '_'. View hash: YASMF over the concatenated binary ids.

    These helpers work on plain arrays of panda_hash_t so callers can keep
    view ids wherever they like (operations, documents, relation values).   */
#ifndef PANDA_VIEW_ID_H_INCLUDED
#define PANDA_VIEW_ID_H_INCLUDED

#include "panda/panda_hash.h"

#ifdef __cplusplus
extern "C" {
#endif

#define PANDA_VIEW_ID_SEPARATOR '_'

//  Sort ids ascending and drop duplicates, in place. Returns the new count.
size_t panda_view_id_canonicalize (panda_hash_t *ids, size_t count);

//  True if ids is a canonical view id: at least one id, strictly ascending.
bool panda_view_id_is_canonical (const panda_hash_t *ids, size_t count);

//  Length of the string form of count ids, without the terminating NUL
//  (0 for count 0).
size_t panda_view_id_string_len (size_t count);

//  Write the string form (ids joined by '_', as given: canonicalize first)
//  plus NUL into out, which must hold panda_view_id_string_len (count) + 1
//  bytes. Returns out.
char *panda_view_id_to_string (const panda_hash_t *ids, size_t count, char *out);

//  Same, into fresh memory. Caller owns the result (free); NULL on OOM.
char *panda_view_id_to_string_new (const panda_hash_t *ids, size_t count);

//  Parse the string form strictly: len characters of '_'-separated 68-char
//  lower-case hex ids, each a valid hash, strictly ascending. On success
//  *ids_p is a fresh array (caller owns, free) of *count_p ids. Errors
//  (PANDA_ERR_DECODE, reference texts): those of panda_hash_from_hex for a
//  bad part (an empty string is one empty part: "invalid hash length 0
//  bytes, expected 34 bytes"), "expected sorted operation ids in document
//  view id" for unsorted or duplicate ids; PANDA_ERR_NOMEM.
PANDA_NODISCARD panda_err_t panda_view_id_from_string (const char *text, size_t len, panda_hash_t **ids_p,
                                                       size_t *count_p, panda_error_t *err);

//  Check that count ids form a canonical view id, with the reference
//  messages: "expected one or more operation ids", "expected sorted
//  operation ids in document view id" (PANDA_ERR_DECODE).
PANDA_NODISCARD panda_err_t panda_view_id_validate (const panda_hash_t *ids, size_t count,
                                                    panda_error_t *err);

//  View hash: YASMF (BLAKE3) of the concatenated 34-byte ids, as given
//  (canonicalize first).
void panda_view_id_hash (const panda_hash_t *ids, size_t count, panda_hash_t *out);

#ifdef __cplusplus
}
#endif
#endif
