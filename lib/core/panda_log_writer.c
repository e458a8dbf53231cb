/*  panda_log_writer.c - see panda_log_writer.h.                           */
#include "panda_grow.h"
#include "panda/panda_log_writer.h"

#include "panda/panda_lipmaa.h"

#include <stdlib.h>

struct _panda_log_writer_t {
    const panda_keypair_t *keypair;
    uint64_t log_id;
    panda_hash_t *hashes; //  hashes[i]: entry at seq i + 1
    size_t count, capacity;
};

panda_log_writer_t *
panda_log_writer_new (const panda_keypair_t *keypair, uint64_t log_id)
{
    panda_log_writer_t *self = calloc (1, sizeof *self);
    if (self)
        *self = (panda_log_writer_t){.keypair = keypair, .log_id = log_id};
    return self;
}

void
panda_log_writer_destroy (panda_log_writer_t **self_p)
{
    if (*self_p) {
        free ((*self_p)->hashes);
        free (*self_p);
        *self_p = NULL;
    }
}

const panda_hash_t *
panda_log_writer_hash (const panda_log_writer_t *self, uint64_t seq_num)
{
    return seq_num >= 1 && seq_num <= self->count ? &self->hashes[seq_num - 1] : NULL;
}

void
panda_log_writer_next_args (const panda_log_writer_t *self, panda_entry_args_t *args)
{
    uint64_t seq = self->count + 1;
    *args = (panda_entry_args_t){.log_id = self->log_id, .seq_num = seq};
    if (seq > 1) {
        args->has_backlink = true;
        args->backlink = self->hashes[seq - 2];
    }
    if (panda_lipmaa_skiplink_required (seq)) {
        args->has_skiplink = true;
        args->skiplink = self->hashes[panda_lipmaa (seq) - 1];
    }
}

panda_entry_t *
panda_log_writer_sign (panda_log_writer_t *self, const uint8_t *operation, size_t len, panda_error_t *err)
{
    if (!panda_grow ((void **) &self->hashes, &self->capacity, self->count + 1, sizeof *self->hashes)) {
        panda_error_set (err, PANDA_ERR_NOMEM, "out of memory");
        return NULL;
    }
    panda_entry_args_t args;
    panda_log_writer_next_args (self, &args);
    panda_entry_t *entry = panda_entry_new_signed (
        self->keypair, args.log_id, args.seq_num, args.has_backlink ? &args.backlink : NULL,
        args.has_skiplink ? &args.skiplink : NULL, operation, len, err);
    if (entry)
        self->hashes[self->count++] = *panda_entry_hash (entry);
    return entry;
}
