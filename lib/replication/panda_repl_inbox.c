/*  panda_repl_inbox.c - received entries waiting for their dependencies.
    See panda_repl_inbox.h.

    Nodes live in one array; a node's ticket is (generation << 32 | slot),
    so a stale ticket (its node gone, the slot reused) is recognised. An
    open-addressing index maps entry hashes to slots (linear probing,
    backward-shift deletion, at most half full). Ready nodes form an
    intrusive FIFO, so releasing and removing are O(1).                     */
#include "panda_repl_inbox.h"

#include <stdlib.h>
#include <string.h>

#include "panda/panda_entry.h"
#include "panda/panda_operation.h"

#define S_NONE UINT32_MAX

typedef enum { S_FREE, S_WAITING, S_READY, S_IN_FLIGHT, S_DEFERRED } s_state_t;

typedef struct {
    uint32_t slot;
    uint64_t ticket;
} s_ref_t;

typedef struct {
    s_state_t state;
    uint64_t ticket;
    uint32_t peer;
    panda_hash_t hash;
    uint8_t *bytes; //  entry then operation, one allocation
    size_t entry_len, op_len;
    char *schema_id;
    uint32_t waiting_on; //  dependencies still held
    s_ref_t *dependents; //  held entries waiting on this one
    size_t n_dependents, cap_dependents;
    uint32_t prev, next; //  ready FIFO links
} s_node_t;

struct _panda_repl_inbox_t {
    size_t max_entries, max_bytes;
    s_node_t *nodes; //  max_entries slots
    uint32_t *free_slots; //  stack of free slots
    size_t n_free;
    uint32_t *index; //  slot + 1, 0 = empty
    size_t index_mask;
    size_t count, bytes, deferred;
    uint32_t head, tail; //  ready FIFO
    uint32_t generation;
};

static size_t
s_bucket (const panda_repl_inbox_t *self, const panda_hash_t *hash)
{
    //  Past the two-byte YASMF prefix the digest is uniform.
    uint64_t h;
    memcpy (&h, hash->bytes + 2, sizeof h);
    return (size_t) h & self->index_mask;
}

panda_repl_inbox_t *
panda_repl_inbox_new (size_t max_entries, size_t max_bytes)
{
    if (max_entries == 0 || max_entries >= S_NONE / 4)
        return NULL;
    panda_repl_inbox_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->max_entries = max_entries;
    self->max_bytes = max_bytes;
    size_t buckets = 4;
    while (buckets < 2 * max_entries)
        buckets *= 2;
    self->index_mask = buckets - 1;
    self->nodes = calloc (max_entries, sizeof *self->nodes);
    self->free_slots = malloc (max_entries * sizeof *self->free_slots);
    self->index = calloc (buckets, sizeof *self->index);
    if (!self->nodes || !self->free_slots || !self->index) {
        panda_repl_inbox_destroy (&self);
        return NULL;
    }
    for (size_t i = 0; i < max_entries; i++)
        self->free_slots[i] = (uint32_t) (max_entries - 1 - i);
    self->n_free = max_entries;
    self->head = self->tail = S_NONE;
    return self;
}

static void
s_node_clear (s_node_t *node)
{
    free (node->bytes);
    free (node->schema_id);
    free (node->dependents);
    memset (node, 0, sizeof *node);
}

void
panda_repl_inbox_destroy (panda_repl_inbox_t **self_p)
{
    panda_repl_inbox_t *self = *self_p;
    if (!self)
        return;
    for (size_t i = 0; self->nodes && i < self->max_entries; i++)
        s_node_clear (&self->nodes[i]);
    free (self->nodes);
    free (self->free_slots);
    free (self->index);
    free (self);
    *self_p = NULL;
}

//  Slot of the node holding hash, or S_NONE.
static uint32_t
s_find (const panda_repl_inbox_t *self, const panda_hash_t *hash)
{
    for (size_t b = s_bucket (self, hash);; b = (b + 1) & self->index_mask) {
        uint32_t at = self->index[b];
        if (at == 0)
            return S_NONE;
        if (panda_hash_eq (&self->nodes[at - 1].hash, hash))
            return at - 1;
    }
}

static void
s_index_add (panda_repl_inbox_t *self, uint32_t slot)
{
    size_t b = s_bucket (self, &self->nodes[slot].hash);
    while (self->index[b])
        b = (b + 1) & self->index_mask;
    self->index[b] = slot + 1;
}

//  Backward-shift deletion keeps every probe sequence unbroken.
static void
s_index_remove (panda_repl_inbox_t *self, uint32_t slot)
{
    size_t b = s_bucket (self, &self->nodes[slot].hash);
    while (self->index[b] != slot + 1)
        b = (b + 1) & self->index_mask;
    for (size_t next = (b + 1) & self->index_mask; self->index[next]; next = (next + 1) & self->index_mask) {
        size_t home = s_bucket (self, &self->nodes[self->index[next] - 1].hash);
        //  Move it back if its home is not in (b, next].
        if (((next - home) & self->index_mask) >= ((next - b) & self->index_mask)) {
            self->index[b] = self->index[next];
            b = next;
        }
    }
    self->index[b] = 0;
}

static void
s_ready_push (panda_repl_inbox_t *self, uint32_t slot)
{
    s_node_t *node = &self->nodes[slot];
    node->state = S_READY;
    node->next = S_NONE;
    node->prev = self->tail;
    if (self->tail != S_NONE)
        self->nodes[self->tail].next = slot;
    else
        self->head = slot;
    self->tail = slot;
}

static void
s_ready_unlink (panda_repl_inbox_t *self, uint32_t slot)
{
    s_node_t *node = &self->nodes[slot];
    if (node->prev != S_NONE)
        self->nodes[node->prev].next = node->next;
    else
        self->head = node->next;
    if (node->next != S_NONE)
        self->nodes[node->next].prev = node->prev;
    else
        self->tail = node->prev;
}

//  The live node a ticket names, or NULL.
static s_node_t *
s_ticket_node (panda_repl_inbox_t *self, uint64_t ticket, uint32_t *slot)
{
    *slot = (uint32_t) ticket;
    if (*slot >= self->max_entries)
        return NULL;
    s_node_t *node = &self->nodes[*slot];
    return node->state != S_FREE && node->ticket == ticket ? node : NULL;
}

static panda_err_t
s_depend (panda_repl_inbox_t *self, uint32_t slot, const panda_hash_t *on, panda_error_t *err)
{
    uint32_t dep = s_find (self, on);
    if (dep == S_NONE)
        return PANDA_OK;
    s_node_t *d = &self->nodes[dep];
    if (d->n_dependents == d->cap_dependents) {
        size_t cap = d->cap_dependents ? 2 * d->cap_dependents : 4;
        s_ref_t *grown = realloc (d->dependents, cap * sizeof *grown);
        if (!grown)
            return panda_error_set (err, PANDA_ERR_NOMEM, "out of memory in the replication inbox");
        d->dependents = grown;
        d->cap_dependents = cap;
    }
    d->dependents[d->n_dependents++] = (s_ref_t){slot, self->nodes[slot].ticket};
    self->nodes[slot].waiting_on++;
    return PANDA_OK;
}

//  Take a node out of every structure and free its slot. Its dependents
//  are the caller's business.
static void
s_release_slot (panda_repl_inbox_t *self, uint32_t slot)
{
    s_node_t *node = &self->nodes[slot];
    if (node->state == S_READY)
        s_ready_unlink (self, slot);
    if (node->state == S_DEFERRED)
        self->deferred--;
    s_index_remove (self, slot);
    self->count--;
    self->bytes -= node->entry_len + node->op_len;
    s_node_clear (node);
    self->free_slots[self->n_free++] = slot;
}

panda_err_t
panda_repl_inbox_add (panda_repl_inbox_t *self, uint32_t peer, const uint8_t *entry, size_t entry_len,
                      const uint8_t *operation, size_t op_len, bool *added, panda_error_t *err)
{
    *added = false;
    panda_entry_t *decoded = NULL;
    panda_err_t rc = panda_entry_decode (&decoded, entry, entry_len, err);
    if (rc != PANDA_OK)
        return rc;
    panda_operation_t *op = panda_operation_decode (operation, op_len, err);
    if (!op) {
        panda_entry_destroy (&decoded);
        return err ? err->code : PANDA_ERR_DECODE;
    }
    if (s_find (self, panda_entry_hash (decoded)) != S_NONE)
        goto done; //  offered by another peer too: it travels once
    if (self->n_free == 0 || self->bytes + entry_len + op_len > self->max_bytes) {
        rc = panda_error_set (err, PANDA_ERR_LIMIT, "replication inbox full (%zu entries, %zu bytes)",
                              self->count, self->bytes);
        goto done;
    }
    uint32_t slot = self->free_slots[self->n_free - 1];
    s_node_t *node = &self->nodes[slot];
    node->bytes = malloc (entry_len + op_len + 1);
    node->schema_id = strdup (panda_operation_schema_id (op));
    if (!node->bytes || !node->schema_id) {
        s_node_clear (node);
        rc = panda_error_set (err, PANDA_ERR_NOMEM, "out of memory in the replication inbox");
        goto done;
    }
    self->n_free--;
    memcpy (node->bytes, entry, entry_len);
    memcpy (node->bytes + entry_len, operation, op_len);
    node->entry_len = entry_len;
    node->op_len = op_len;
    node->hash = *panda_entry_hash (decoded);
    node->peer = peer;
    node->ticket = (uint64_t) ++self->generation << 32 | slot;
    node->state = S_WAITING;
    node->prev = node->next = S_NONE;
    s_index_add (self, slot);
    self->count++;
    self->bytes += entry_len + op_len;
    const panda_hash_t *backlink = panda_entry_backlink (decoded);
    if (backlink)
        rc = s_depend (self, slot, backlink, err);
    size_t n_previous = 0;
    const panda_hash_t *previous = panda_operation_previous (op, &n_previous);
    for (size_t i = 0; rc == PANDA_OK && i < n_previous; i++)
        rc = s_depend (self, slot, &previous[i], err);
    //  A DELETE also waits for every held entry of its schema that came
    //  before it: an UPDATE concurrent with it (same previous) was stored
    //  before it by the sender, but the verify pool may store it after the
    //  DELETE here, and storage refuses an update of a deleted document.
    for (uint32_t other = 0;
         rc == PANDA_OK && panda_operation_action (op) == PANDA_ACTION_DELETE && other < self->max_entries;
         other++)
        if (other != slot && self->nodes[other].state != S_FREE &&
            strcmp (self->nodes[other].schema_id, node->schema_id) == 0)
            rc = s_depend (self, slot, &self->nodes[other].hash, err);
    if (rc != PANDA_OK) {
        //  Stale references to it in others' dependents are ignored.
        s_release_slot (self, slot);
        goto done;
    }
    if (node->waiting_on == 0)
        s_ready_push (self, slot);
    *added = true;
done:
    panda_operation_destroy (&op);
    panda_entry_destroy (&decoded);
    return rc;
}

bool
panda_repl_inbox_next (panda_repl_inbox_t *self, panda_repl_ready_t *ready)
{
    if (self->head == S_NONE)
        return false;
    uint32_t slot = self->head;
    s_ready_unlink (self, slot);
    s_node_t *node = &self->nodes[slot];
    node->state = S_IN_FLIGHT;
    *ready = (panda_repl_ready_t){.ticket = node->ticket,
                                  .peer = node->peer,
                                  .hash = &node->hash,
                                  .schema_id = node->schema_id,
                                  .entry = node->bytes,
                                  .entry_len = node->entry_len,
                                  .operation = node->bytes + node->entry_len,
                                  .op_len = node->op_len};
    return true;
}

size_t
panda_repl_inbox_ticket_bytes (panda_repl_inbox_t *self, uint64_t ticket)
{
    uint32_t slot;
    s_node_t *node = s_ticket_node (self, ticket, &slot);
    return node ? node->entry_len + node->op_len : 0;
}

uint32_t
panda_repl_inbox_done (panda_repl_inbox_t *self, uint64_t ticket)
{
    uint32_t slot;
    s_node_t *node = s_ticket_node (self, ticket, &slot);
    if (!node)
        return S_NONE;
    uint32_t peer = node->peer;
    //  Wake its dependents before the slot is cleared.
    for (size_t i = 0; i < node->n_dependents; i++) {
        uint32_t d;
        s_node_t *dep = s_ticket_node (self, node->dependents[i].ticket, &d);
        if (dep && dep->waiting_on > 0 && --dep->waiting_on == 0 && dep->state == S_WAITING)
            s_ready_push (self, d);
    }
    s_release_slot (self, slot);
    return peer;
}

void
panda_repl_inbox_defer (panda_repl_inbox_t *self, uint64_t ticket)
{
    uint32_t slot;
    s_node_t *node = s_ticket_node (self, ticket, &slot);
    if (node && node->state == S_IN_FLIGHT) {
        node->state = S_DEFERRED;
        self->deferred++;
    }
}

//  Remove slot and, transitively, every held entry waiting on it.
static void
s_remove_cascade (panda_repl_inbox_t *self, uint32_t slot)
{
    //  Work list of tickets; a node is removed when popped.
    size_t cap = 16, n = 0;
    uint64_t *todo = malloc (cap * sizeof *todo);
    if (!todo) {
        s_release_slot (self, slot); //  dependents then wait for a drop
        return;
    }
    todo[n++] = self->nodes[slot].ticket;
    while (n > 0) {
        uint32_t at;
        s_node_t *node = s_ticket_node (self, todo[--n], &at);
        if (!node)
            continue;
        for (size_t i = 0; i < node->n_dependents; i++) {
            if (n == cap) {
                uint64_t *grown = realloc (todo, 2 * cap * sizeof *grown);
                if (!grown)
                    break;
                todo = grown;
                cap *= 2;
            }
            todo[n++] = node->dependents[i].ticket;
        }
        if (node->state != S_IN_FLIGHT || at == slot)
            s_release_slot (self, at);
    }
    free (todo);
}

uint32_t
panda_repl_inbox_failed (panda_repl_inbox_t *self, uint64_t ticket)
{
    uint32_t slot;
    s_node_t *node = s_ticket_node (self, ticket, &slot);
    if (!node)
        return S_NONE;
    uint32_t peer = node->peer;
    s_remove_cascade (self, slot);
    return peer;
}

size_t
panda_repl_inbox_schema (panda_repl_inbox_t *self, const char *schema_id)
{
    size_t woken = 0;
    for (uint32_t i = 0; self->deferred > 0 && i < self->max_entries; i++) {
        s_node_t *node = &self->nodes[i];
        if (node->state == S_DEFERRED && strcmp (node->schema_id, schema_id) == 0) {
            self->deferred--;
            s_ready_push (self, i);
            woken++;
        }
    }
    return woken;
}

size_t
panda_repl_inbox_drop_peer (panda_repl_inbox_t *self, uint32_t peer)
{
    size_t before = self->count;
    for (uint32_t i = 0; i < self->max_entries; i++) {
        s_node_t *node = &self->nodes[i];
        if (node->state != S_FREE && node->state != S_IN_FLIGHT && node->peer == peer)
            s_remove_cascade (self, i);
    }
    return before - self->count;
}

size_t
panda_repl_inbox_count (const panda_repl_inbox_t *self)
{
    return self->count;
}

size_t
panda_repl_inbox_bytes (const panda_repl_inbox_t *self)
{
    return self->bytes;
}

size_t
panda_repl_inbox_peer_count (const panda_repl_inbox_t *self, uint32_t peer)
{
    size_t n = 0;
    for (size_t i = 0; i < self->max_entries; i++)
        n += self->nodes[i].state != S_FREE && self->nodes[i].peer == peer;
    return n;
}

size_t
panda_repl_inbox_deferred (const panda_repl_inbox_t *self)
{
    return self->deferred;
}

bool
panda_repl_inbox_holds (const panda_repl_inbox_t *self, const panda_hash_t *hash)
{
    return s_find (self, hash) != S_NONE;
}
