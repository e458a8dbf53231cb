/*  panda_relay.c - a relay's registrations, circuits and queues. See
    panda_relay.h.

    Tables are small arrays scanned linearly: a relay holds at most
    max_registrations nodes (default 1024), and a scan of that many keys
    costs less than the payload copy it precedes.                         */
#include "panda_relay.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct s_item_t {
    struct s_item_t *next;
    size_t to; //  index of the receiving registration
    size_t len;
    uint8_t payload[];
} s_item_t;

typedef struct {
    bool used;
    uint32_t conn;
    uint8_t node_key[32];
    uint8_t tag[PANDA_REPL_NETWORK_TAG_SIZE];
    char address[PANDA_REPL_MAX_TEXT + 1];
    int64_t expires;
    s_item_t *head, *tail; //  its payloads waiting to go
    int64_t tokens; //  bytes it may send now (negative: in debt)
    int64_t refilled; //  when tokens were last topped up
    uint64_t inbound; //  bytes toward it: waiting, or sent and not acknowledged
    uint64_t waiting_in; //  of which still waiting here
} s_node_t;

typedef struct {
    size_t a, b; //  registrations, a < b
    int64_t last_used;
} s_circuit_t;

struct _panda_relay_t {
    panda_relay_limits_t limits;
    s_node_t *nodes;
    s_circuit_t *circuits;
    size_t n_circuits;
    size_t turn; //  the sender whose payload goes next, if it may
    int64_t tokens, refilled; //  the total rate's bucket
    uint64_t total_inbound;
    panda_relay_item_t last; //  what next() handed out
    s_item_t *last_item;
    panda_relay_stats_t stats;
};

panda_relay_t *
panda_relay_new (const panda_relay_limits_t *limits)
{
    panda_relay_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->limits = *limits;
    if (self->limits.max_registrations == 0)
        self->limits.max_registrations = 1;
    self->nodes = calloc (self->limits.max_registrations, sizeof *self->nodes);
    self->circuits =
        calloc (self->limits.max_circuits ? self->limits.max_circuits : 1, sizeof *self->circuits);
    if (!self->nodes || !self->circuits)
        panda_relay_destroy (&self);
    else
        self->tokens = (int64_t) self->limits.total_rate;
    return self;
}

static void
s_drop_queue (panda_relay_t *self, s_node_t *node)
{
    while (node->head) {
        s_item_t *item = node->head;
        node->head = item->next;
        s_node_t *to = &self->nodes[item->to];
        to->inbound -= item->len;
        to->waiting_in -= item->len;
        self->total_inbound -= item->len;
        self->stats.queued_bytes -= item->len;
        free (item);
    }
    node->tail = NULL;
}

void
panda_relay_destroy (panda_relay_t **self_p)
{
    panda_relay_t *self = *self_p;
    if (!self)
        return;
    for (size_t i = 0; self->nodes && i < self->limits.max_registrations; i++)
        s_drop_queue (self, &self->nodes[i]);
    free (self->last_item);
    free (self->nodes);
    free (self->circuits);
    free (self);
    *self_p = NULL;
}

static s_node_t *
s_by_conn (const panda_relay_t *self, uint32_t conn)
{
    for (size_t i = 0; i < self->limits.max_registrations; i++)
        if (self->nodes[i].used && self->nodes[i].conn == conn)
            return &self->nodes[i];
    return NULL;
}

static s_node_t *
s_by_key (const panda_relay_t *self, const uint8_t *key)
{
    for (size_t i = 0; i < self->limits.max_registrations; i++)
        if (self->nodes[i].used && memcmp (self->nodes[i].node_key, key, 32) == 0)
            return &self->nodes[i];
    return NULL;
}

//  A registration leaves: its circuits, its payloads and those toward it.
static void
s_remove (panda_relay_t *self, s_node_t *node)
{
    size_t index = (size_t) (node - self->nodes);
    s_drop_queue (self, node);
    for (size_t i = 0; i < self->limits.max_registrations; i++) {
        s_node_t *other = &self->nodes[i];
        s_item_t **at = &other->head, *prev = NULL;
        while (*at) {
            s_item_t *item = *at;
            if (item->to != index) {
                prev = item;
                at = &item->next;
                continue;
            }
            *at = item->next;
            if (other->tail == item)
                other->tail = prev;
            self->stats.queued_bytes -= item->len;
            self->total_inbound -= item->len;
            node->inbound -= item->len;
            node->waiting_in -= item->len;
            free (item);
        }
    }
    self->total_inbound -= node->inbound; //  what it never acknowledged
    for (size_t i = self->n_circuits; i-- > 0;)
        if (self->circuits[i].a == index || self->circuits[i].b == index)
            self->circuits[i] = self->circuits[--self->n_circuits];
    memset (node, 0, sizeof *node);
    self->stats.registrations--;
}

panda_err_t
panda_relay_register (panda_relay_t *self, uint32_t conn, const uint8_t node_key[32],
                      const uint8_t network_tag[PANDA_REPL_NETWORK_TAG_SIZE], const char *address,
                      uint64_t ttl_ms, int64_t now, uint64_t *granted_ms, panda_error_t *err)
{
    s_node_t *node = s_by_key (self, node_key);
    if (node && node->conn != conn) { //  it came back on a new connection
        s_remove (self, node);
        node = NULL;
    }
    if (!node && (node = s_by_conn (self, conn)))
        s_remove (self, node); //  another key on this connection: start over
    if (!node || !node->used) {
        node = NULL;
        for (size_t i = 0; i < self->limits.max_registrations && !node; i++)
            if (!self->nodes[i].used)
                node = &self->nodes[i];
        if (!node)
            return panda_error_set (err, PANDA_ERR_LIMIT, "relay full: %zu nodes registered",
                                    self->limits.max_registrations);
        node->used = true;
        node->conn = conn;
        memcpy (node->node_key, node_key, 32);
        node->tokens = (int64_t) self->limits.node_rate;
        node->refilled = now;
        self->stats.registrations++;
    }
    memcpy (node->tag, network_tag, sizeof node->tag);
    snprintf (node->address, sizeof node->address, "%s", address ? address : "");
    uint64_t granted = ttl_ms < self->limits.max_ttl_ms ? ttl_ms : self->limits.max_ttl_ms;
    node->expires = now + (int64_t) granted;
    *granted_ms = granted;
    return PANDA_OK;
}

void
panda_relay_forget (panda_relay_t *self, uint32_t conn)
{
    s_node_t *node = s_by_conn (self, conn);
    if (node)
        s_remove (self, node);
}

void
panda_relay_expire (panda_relay_t *self, int64_t now)
{
    for (size_t i = 0; i < self->limits.max_registrations; i++)
        if (self->nodes[i].used && now >= self->nodes[i].expires)
            s_remove (self, &self->nodes[i]);
    for (size_t i = self->n_circuits; i-- > 0;)
        if (now - self->circuits[i].last_used >= PANDA_RELAY_CIRCUIT_IDLE_MS)
            self->circuits[i] = self->circuits[--self->n_circuits];
    self->stats.circuits = self->n_circuits;
}

//  Registration i is another node of me's network.
static bool
s_neighbour (const panda_relay_t *self, const s_node_t *me, size_t i)
{
    const s_node_t *node = &self->nodes[i];
    return node->used && node != me && memcmp (node->tag, me->tag, sizeof me->tag) == 0;
}

size_t
panda_relay_lookup (const panda_relay_t *self, uint32_t conn, panda_repl_relay_peer_t *out, size_t max)
{
    const s_node_t *me = s_by_conn (self, conn);
    size_t n = 0;
    for (size_t i = 0; me && i < self->limits.max_registrations && n < max; i++) {
        if (!s_neighbour (self, me, i))
            continue;
        memcpy (out[n].node_key, self->nodes[i].node_key, 32);
        out[n].address = self->nodes[i].address;
        out[n].address_len = strlen (self->nodes[i].address);
        n++;
    }
    return n;
}

size_t
panda_relay_newcomer (panda_relay_t *self, uint32_t conn, uint32_t *out, size_t max)
{
    const s_node_t *me = s_by_conn (self, conn);
    size_t n = 0;
    for (size_t i = 0; me && i < self->limits.max_registrations && n < max; i++)
        if (s_neighbour (self, me, i))
            out[n++] = self->nodes[i].conn;
    self->stats.announced += n;
    return n;
}

//  The circuit between two registrations, opened if there is room.
static s_circuit_t *
s_circuit (panda_relay_t *self, size_t x, size_t y, panda_error_t *err)
{
    size_t a = x < y ? x : y, b = x < y ? y : x;
    for (size_t i = 0; i < self->n_circuits; i++)
        if (self->circuits[i].a == a && self->circuits[i].b == b)
            return &self->circuits[i];
    if (self->n_circuits >= self->limits.max_circuits) {
        panda_error_set (err, PANDA_ERR_LIMIT,
                         "relay busy: %zu circuits open, the limit (relay_max_circuits)", self->n_circuits);
        return NULL;
    }
    s_circuit_t *c = &self->circuits[self->n_circuits++];
    c->a = a;
    c->b = b;
    self->stats.circuits = self->n_circuits;
    return c;
}

panda_err_t
panda_relay_forward (panda_relay_t *self, uint32_t from_conn, const uint8_t to[32], const uint8_t *payload,
                     size_t len, int64_t now, panda_error_t *err)
{
    s_node_t *from = s_by_conn (self, from_conn);
    s_node_t *target = s_by_key (self, to);
    panda_err_t rc = PANDA_OK;
    if (!from)
        rc = panda_error_set (err, PANDA_ERR_NOT_FOUND, "register at the relay first");
    else if (!target || target == from || memcmp (target->tag, from->tag, sizeof from->tag) != 0)
        rc = panda_error_set (err, PANDA_ERR_NOT_FOUND, "that node is not registered at this relay");
    else if (target->inbound + len > self->limits.node_queue_bytes)
        rc = panda_error_set (err, PANDA_ERR_LIMIT,
                              "the queue toward that node is full (%llu bytes, relay_node_queue_bytes)",
                              (unsigned long long) target->inbound);
    else if (self->total_inbound + len > self->limits.total_queue_bytes)
        rc = panda_error_set (err, PANDA_ERR_LIMIT, "relay busy: its queues are full (relay_queue_bytes)");
    if (rc) {
        self->stats.refused++;
        return rc;
    }
    s_circuit_t *circuit =
        s_circuit (self, (size_t) (from - self->nodes), (size_t) (target - self->nodes), err);
    s_item_t *item = circuit ? malloc (sizeof *item + (len ? len : 1)) : NULL;
    if (!item) {
        self->stats.refused++;
        return circuit ? panda_error_set (err, PANDA_ERR_NOMEM, "out of memory") : PANDA_ERR_LIMIT;
    }
    circuit->last_used = now;
    item->next = NULL;
    item->to = (size_t) (target - self->nodes);
    item->len = len;
    if (len)
        memcpy (item->payload, payload, len);
    if (from->tail)
        from->tail->next = item;
    else
        from->head = item;
    from->tail = item;
    target->inbound += len;
    target->waiting_in += len;
    self->total_inbound += len;
    self->stats.queued_bytes += len;
    return PANDA_OK;
}

//  Top up a bucket: rate bytes/s, holding at most one second's worth.
static void
s_refill (int64_t *tokens, int64_t *refilled, uint64_t rate, int64_t now)
{
    if (now <= *refilled)
        return;
    int64_t add = (int64_t) ((double) rate * (double) (now - *refilled) / 1000.0);
    *tokens = *tokens + add > (int64_t) rate ? (int64_t) rate : *tokens + add;
    *refilled = now;
}

bool
panda_relay_next (panda_relay_t *self, int64_t now, panda_relay_item_t *item)
{
    free (self->last_item);
    self->last_item = NULL;
    s_refill (&self->tokens, &self->refilled, self->limits.total_rate, now);
    if (self->tokens <= 0)
        return false;
    size_t n = self->limits.max_registrations;
    for (size_t k = 0; k < n; k++) {
        size_t i = (self->turn + k) % n;
        s_node_t *node = &self->nodes[i];
        if (!node->used || !node->head)
            continue;
        s_refill (&node->tokens, &node->refilled, self->limits.node_rate, now);
        if (node->tokens <= 0)
            continue;
        s_item_t *taken = node->head;
        node->head = taken->next;
        if (!node->head)
            node->tail = NULL;
        //  A payload larger than the bucket still goes; the debt waits.
        node->tokens -= (int64_t) taken->len;
        self->tokens -= (int64_t) taken->len;
        self->stats.queued_bytes -= taken->len;
        self->nodes[taken->to].waiting_in -= taken->len;
        self->stats.forwarded++;
        self->stats.forwarded_bytes += taken->len;
        self->turn = (i + 1) % n;
        self->last_item = taken;
        item->to_conn = self->nodes[taken->to].conn;
        memcpy (item->from, node->node_key, 32);
        item->payload = taken->payload;
        item->len = taken->len;
        return true;
    }
    return false;
}

int64_t
panda_relay_wait (const panda_relay_t *self, int64_t now)
{
    int64_t wait = -1;
    for (size_t i = 0; i < self->limits.max_registrations; i++) {
        const s_node_t *node = &self->nodes[i];
        if (!node->used || !node->head)
            continue;
        int64_t tokens = node->tokens, refilled = node->refilled;
        s_refill (&tokens, &refilled, self->limits.node_rate, now);
        int64_t ms = tokens > 0 || self->limits.node_rate == 0
                         ? 0
                         : (int64_t) ((double) (1 - tokens) * 1000.0 / (double) self->limits.node_rate) + 1;
        if (wait < 0 || ms < wait)
            wait = ms;
    }
    if (wait >= 0) {
        int64_t tokens = self->tokens, refilled = self->refilled;
        s_refill (&tokens, &refilled, self->limits.total_rate, now);
        if (tokens <= 0 && self->limits.total_rate) {
            int64_t ms = (int64_t) ((double) (1 - tokens) * 1000.0 / (double) self->limits.total_rate) + 1;
            wait = ms > wait ? ms : wait;
        }
    }
    return wait;
}

void
panda_relay_ack (panda_relay_t *self, uint32_t conn, uint64_t bytes)
{
    s_node_t *node = s_by_conn (self, conn);
    if (!node)
        return;
    //  Only what was forwarded to it and not yet acknowledged; never what waits.
    uint64_t sent = node->inbound - node->waiting_in;
    uint64_t take = bytes < sent ? bytes : sent;
    node->inbound -= take;
    self->total_inbound -= take;
}

const uint8_t *
panda_relay_node_key (const panda_relay_t *self, uint32_t conn)
{
    const s_node_t *node = s_by_conn (self, conn);
    return node ? node->node_key : NULL;
}

panda_relay_stats_t
panda_relay_stats (const panda_relay_t *self)
{
    return self->stats;
}
