/*  panda_log_writer.h - sign the entries of one log, in order.

    What a client does between two publishes without asking a node for
    next arguments: keeps the hashes of its own entries so it can give each
    new entry its backlink and, where lipmaa says so, its skiplink. Used by
    load generators and tests; an application can use it the same way.   */
#ifndef PANDA_LOG_WRITER_H_INCLUDED
#define PANDA_LOG_WRITER_H_INCLUDED

#include "panda/panda_entry.h"
#include "panda/panda_keypair.h"

typedef struct _panda_log_writer_t panda_log_writer_t;

//  A writer for log log_id of keypair (borrowed; must outlive the writer),
//  starting at seq num 1. Caller owns the result; NULL on OOM.
panda_log_writer_t *panda_log_writer_new (const panda_keypair_t *keypair, uint64_t log_id);

void panda_log_writer_destroy (panda_log_writer_t **self_p);

//  Sign the next entry for len bytes of operation. Caller owns the result;
//  NULL with err set on failure (the writer does not advance).
PANDA_NODISCARD panda_entry_t *panda_log_writer_sign (panda_log_writer_t *self, const uint8_t *operation,
                                                      size_t len, panda_error_t *err);

//  Arguments of the next entry, as a node's nextArgs must answer them.
void panda_log_writer_next_args (const panda_log_writer_t *self, panda_entry_args_t *args);

//  Hash of the entry at seq_num (1..signed count), or NULL.
const panda_hash_t *panda_log_writer_hash (const panda_log_writer_t *self, uint64_t seq_num);

#endif
