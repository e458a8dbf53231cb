/*  panda_store_cache.c - the store's in-memory tables and their undo log.
    See panda_store_int.h.

    Each table is a growing array plus chained hash indexes. A batch may
    add elements (new rows, or rows read from SQLite) and change elements
    (a log's head, a document's deleted flag); the undo log records the
    table sizes at the start and every changed element's old value, so a
    rollback replays it backwards and truncates the arrays.                 */
#include "panda_store_int.h"

#include <stdlib.h>
#include <string.h>

#define S_INDEX_MIN_HEADS 64

//  --------------------------------------------------------------------------
//  Hash helpers

static uint64_t
s_mix (uint64_t x)
{
    //  splitmix64 finaliser
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    x ^= x >> 31;
    return x;
}

static uint64_t
s_bytes_key (const uint8_t *bytes)
{
    uint64_t x;
    memcpy (&x, bytes, sizeof x);
    return s_mix (x);
}

static uint64_t
s_pair_key (int64_t a, uint64_t b)
{
    return s_mix ((uint64_t) a * 0x9e3779b97f4a7c15ULL ^ s_mix (b));
}

//  --------------------------------------------------------------------------
//  Index

static void
s_index_free (panda_store_index_t *self)
{
    free (self->heads);
    free (self->next);
    free (self->keys);
    memset (self, 0, sizeof *self);
}

static void
s_index_link (panda_store_index_t *self, uint32_t i)
{
    size_t bucket = self->keys[i] & self->mask;
    self->next[i] = self->heads[bucket];
    self->heads[bucket] = i;
}

static bool
s_index_add (panda_store_index_t *self, uint64_t key)
{
    size_t cap = self->cap;
    if (!panda_grow ((void **) &self->next, &cap, self->count + 1, sizeof (uint32_t)))
        return false;
    cap = self->cap;
    if (!panda_grow ((void **) &self->keys, &cap, self->count + 1, sizeof (uint64_t)))
        return false;
    self->cap = cap;
    if (self->count + 1 > self->mask + 1 || !self->heads) {
        size_t n_heads = self->heads ? (self->mask + 1) * 2 : S_INDEX_MIN_HEADS;
        uint32_t *heads = malloc (n_heads * sizeof (uint32_t));
        if (!heads)
            return false;
        memset (heads, 0xff, n_heads * sizeof (uint32_t));
        free (self->heads);
        self->heads = heads;
        self->mask = n_heads - 1;
        for (uint32_t i = 0; i < self->count; i++)
            s_index_link (self, i);
    }
    self->keys[self->count] = key;
    s_index_link (self, (uint32_t) self->count);
    self->count++;
    return true;
}

static void
s_index_truncate (panda_store_index_t *self, size_t count)
{
    while (self->count > count) {
        uint32_t i = (uint32_t) --self->count;
        size_t bucket = self->keys[i] & self->mask;
        if (PANDA_NEVER (self->heads[bucket] != i))
            continue;
        self->heads[bucket] = self->next[i];
    }
}

static uint32_t
s_index_first (const panda_store_index_t *self, uint64_t key)
{
    if (!self->heads)
        return PANDA_STORE_NONE;
    uint32_t i = self->heads[key & self->mask];
    while (i != PANDA_STORE_NONE && self->keys[i] != key)
        i = self->next[i];
    return i;
}

static uint32_t
s_index_next (const panda_store_index_t *self, uint32_t i, uint64_t key)
{
    for (i = self->next[i]; i != PANDA_STORE_NONE && self->keys[i] != key; i = self->next[i])
        ;
    return i;
}

//  --------------------------------------------------------------------------
//  Lookups

uint32_t
panda_store_cache_author (panda_store_cache_t *self, const panda_public_key_t *key)
{
    uint64_t k = s_bytes_key (key->bytes);
    uint32_t i = s_index_first (&self->author_ix, k);
    while (i != PANDA_STORE_NONE && !panda_public_key_eq (&self->authors[i].key, key))
        i = s_index_next (&self->author_ix, i, k);
    return i;
}

uint32_t
panda_store_cache_log (panda_store_cache_t *self, int64_t author, uint64_t log_id)
{
    uint64_t k = s_pair_key (author, log_id);
    uint32_t i = s_index_first (&self->log_ix, k);
    while (i != PANDA_STORE_NONE && (self->logs[i].author != author || self->logs[i].log_id != log_id))
        i = s_index_next (&self->log_ix, i, k);
    return i;
}

uint32_t
panda_store_cache_log_for_doc (panda_store_cache_t *self, int64_t author, int64_t document)
{
    uint64_t k = s_pair_key (author, (uint64_t) document);
    uint32_t i = s_index_first (&self->log_doc_ix, k);
    while (i != PANDA_STORE_NONE && (self->logs[i].author != author || self->logs[i].document != document))
        i = s_index_next (&self->log_doc_ix, i, k);
    return i;
}

uint32_t
panda_store_cache_doc (panda_store_cache_t *self, int64_t rowid)
{
    uint64_t k = s_mix ((uint64_t) rowid);
    uint32_t i = s_index_first (&self->doc_ix, k);
    while (i != PANDA_STORE_NONE && self->docs[i].rowid != rowid)
        i = s_index_next (&self->doc_ix, i, k);
    return i;
}

uint32_t
panda_store_cache_op (panda_store_cache_t *self, const panda_hash_t *id)
{
    uint64_t k = s_bytes_key (id->bytes + 2);
    uint32_t i = s_index_first (&self->op_ix, k);
    while (i != PANDA_STORE_NONE && !panda_hash_eq (&self->ops[i].id, id))
        i = s_index_next (&self->op_ix, i, k);
    return i;
}

//  --------------------------------------------------------------------------
//  Adding elements

panda_err_t
panda_store_cache_add_author (panda_store_cache_t *self, const panda_store_author_t *author, uint32_t *index)
{
    if (!panda_grow ((void **) &self->authors, &self->cap_authors, self->n_authors + 1, sizeof *author) ||
        !s_index_add (&self->author_ix, s_bytes_key (author->key.bytes)))
        return PANDA_ERR_NOMEM;
    *index = (uint32_t) self->n_authors;
    self->authors[self->n_authors++] = *author;
    return PANDA_OK;
}

panda_err_t
panda_store_cache_add_log (panda_store_cache_t *self, const panda_store_log_t *log, uint32_t *index)
{
    if (!panda_grow ((void **) &self->logs, &self->cap_logs, self->n_logs + 1, sizeof *log))
        return PANDA_ERR_NOMEM;
    if (!s_index_add (&self->log_ix, s_pair_key (log->author, log->log_id)))
        return PANDA_ERR_NOMEM;
    if (!s_index_add (&self->log_doc_ix, s_pair_key (log->author, (uint64_t) log->document))) {
        s_index_truncate (&self->log_ix, self->n_logs);
        return PANDA_ERR_NOMEM;
    }
    *index = (uint32_t) self->n_logs;
    self->logs[self->n_logs++] = *log;
    return PANDA_OK;
}

panda_err_t
panda_store_cache_add_doc (panda_store_cache_t *self, const panda_store_doc_t *doc, uint32_t *index)
{
    if (!panda_grow ((void **) &self->docs, &self->cap_docs, self->n_docs + 1, sizeof *doc) ||
        !s_index_add (&self->doc_ix, s_mix ((uint64_t) doc->rowid)))
        return PANDA_ERR_NOMEM;
    *index = (uint32_t) self->n_docs;
    self->docs[self->n_docs++] = *doc;
    return PANDA_OK;
}

panda_err_t
panda_store_cache_add_op (panda_store_cache_t *self, const panda_store_op_t *op)
{
    if (!panda_grow ((void **) &self->ops, &self->cap_ops, self->n_ops + 1, sizeof *op) ||
        !s_index_add (&self->op_ix, s_bytes_key (op->id.bytes + 2)))
        return PANDA_ERR_NOMEM;
    self->ops[self->n_ops++] = *op;
    return PANDA_OK;
}

panda_err_t
panda_store_cache_schema (panda_store_cache_t *self, const char *schema_id, uint32_t *index)
{
    for (size_t i = 0; i < self->n_schemas; i++)
        if (strcmp (self->schemas[i], schema_id) == 0) {
            *index = (uint32_t) i;
            return PANDA_OK;
        }
    if (!panda_grow ((void **) &self->schemas, &self->cap_schemas, self->n_schemas + 1, sizeof (char *)))
        return PANDA_ERR_NOMEM;
    char *copy = strdup (schema_id);
    if (!copy)
        return PANDA_ERR_NOMEM;
    //  Interned strings are never removed: a rollback leaves an unused one.
    *index = (uint32_t) self->n_schemas;
    self->schemas[self->n_schemas++] = copy;
    return PANDA_OK;
}

//  --------------------------------------------------------------------------
//  Undo log

static panda_store_undo_t *
s_undo_push (panda_store_cache_t *self, panda_store_undo_kind_t kind, uint32_t index)
{
    if (!panda_grow ((void **) &self->undo, &self->cap_undo, self->n_undo + 1, sizeof (panda_store_undo_t)))
        return NULL;
    panda_store_undo_t *undo = &self->undo[self->n_undo++];
    undo->kind = kind;
    undo->index = index;
    return undo;
}

panda_err_t
panda_store_cache_begin (panda_store_cache_t *self)
{
    self->n_undo = 0;
    panda_store_undo_t *undo = s_undo_push (self, PANDA_STORE_UNDO_TRUNCATE, 0);
    if (!undo)
        return PANDA_ERR_NOMEM;
    undo->old.counts[0] = self->n_authors;
    undo->old.counts[1] = self->n_logs;
    undo->old.counts[2] = self->n_docs;
    undo->old.counts[3] = self->n_ops;
    self->recording = true;
    return PANDA_OK;
}

void
panda_store_cache_commit (panda_store_cache_t *self)
{
    self->n_undo = 0;
    self->recording = false;
}

static void
s_truncate (panda_store_cache_t *self, const size_t counts[4])
{
    self->n_authors = counts[0] < self->n_authors ? counts[0] : self->n_authors;
    s_index_truncate (&self->author_ix, self->n_authors);
    self->n_logs = counts[1] < self->n_logs ? counts[1] : self->n_logs;
    s_index_truncate (&self->log_ix, self->n_logs);
    s_index_truncate (&self->log_doc_ix, self->n_logs);
    self->n_docs = counts[2] < self->n_docs ? counts[2] : self->n_docs;
    s_index_truncate (&self->doc_ix, self->n_docs);
    self->n_ops = counts[3] < self->n_ops ? counts[3] : self->n_ops;
    s_index_truncate (&self->op_ix, self->n_ops);
}

void
panda_store_cache_rollback (panda_store_cache_t *self)
{
    while (self->n_undo > 0) {
        panda_store_undo_t *undo = &self->undo[--self->n_undo];
        switch (undo->kind) {
            case PANDA_STORE_UNDO_TRUNCATE: s_truncate (self, undo->old.counts); break;
            case PANDA_STORE_UNDO_AUTHOR: self->authors[undo->index] = undo->old.author; break;
            case PANDA_STORE_UNDO_LOG: self->logs[undo->index] = undo->old.log; break;
            case PANDA_STORE_UNDO_DOC: self->docs[undo->index] = undo->old.doc; break;
        }
    }
    self->recording = false;
}

panda_err_t
panda_store_cache_save_author (panda_store_cache_t *self, uint32_t index)
{
    if (!self->recording)
        return PANDA_OK;
    panda_store_undo_t *undo = s_undo_push (self, PANDA_STORE_UNDO_AUTHOR, index);
    if (!undo)
        return PANDA_ERR_NOMEM;
    undo->old.author = self->authors[index];
    return PANDA_OK;
}

panda_err_t
panda_store_cache_save_log (panda_store_cache_t *self, uint32_t index)
{
    if (!self->recording)
        return PANDA_OK;
    panda_store_undo_t *undo = s_undo_push (self, PANDA_STORE_UNDO_LOG, index);
    if (!undo)
        return PANDA_ERR_NOMEM;
    undo->old.log = self->logs[index];
    return PANDA_OK;
}

panda_err_t
panda_store_cache_save_doc (panda_store_cache_t *self, uint32_t index)
{
    if (!self->recording)
        return PANDA_OK;
    panda_store_undo_t *undo = s_undo_push (self, PANDA_STORE_UNDO_DOC, index);
    if (!undo)
        return PANDA_ERR_NOMEM;
    undo->old.doc = self->docs[index];
    return PANDA_OK;
}

void
panda_store_cache_drop_ops (panda_store_cache_t *self)
{
    if (PANDA_NEVER (self->recording))
        return;
    self->n_ops = 0;
    s_index_truncate (&self->op_ix, 0);
}

void
panda_store_cache_clear (panda_store_cache_t *self)
{
    free (self->authors);
    free (self->logs);
    free (self->docs);
    free (self->ops);
    free (self->undo);
    for (size_t i = 0; i < self->n_schemas; i++)
        free (self->schemas[i]);
    free (self->schemas);
    s_index_free (&self->author_ix);
    s_index_free (&self->log_ix);
    s_index_free (&self->log_doc_ix);
    s_index_free (&self->doc_ix);
    s_index_free (&self->op_ix);
    memset (self, 0, sizeof *self);
}
