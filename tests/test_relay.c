/*  test_relay.c - a relay's bookkeeping: registrations by network and
    their expiry, circuits and their limit, queues toward a node bounded
    until it acknowledges, per-node and total rates, fair turns, and a
    connection that leaves taking everything of it along.                 */
#include "panda_test.h"
#include "panda_relay.h"

static const uint8_t s_net1[8] = {1}, s_net2[8] = {2};

static void
s_key (uint8_t key[32], int n)
{
    memset (key, 0, 32);
    key[0] = (uint8_t) n;
}

static panda_relay_limits_t
s_limits (void)
{
    panda_relay_limits_t limits = {.max_registrations = 8,
                                   .max_ttl_ms = 60000,
                                   .max_circuits = 2,
                                   .node_rate = 1000000,
                                   .total_rate = 4000000,
                                   .node_queue_bytes = 10000,
                                   .total_queue_bytes = 25000};
    return limits;
}

static void
s_register (panda_relay_t *r, uint32_t conn, int key, const uint8_t *net, int64_t now)
{
    uint8_t k[32];
    s_key (k, key);
    uint64_t granted;
    panda_error_t err;
    if (panda_relay_register (r, conn, k, net, "10.0.0.1:2022", 3600000, now, &granted, &err))
        fail_msg ("register %d: %s", key, err.message);
    assert_true (granted == 60000 || granted == 600000); //  capped at max_ttl_ms
}

static panda_err_t
s_forward (panda_relay_t *r, uint32_t from, int to, size_t len, int64_t now, panda_error_t *err)
{
    static const uint8_t payload[16384];
    uint8_t k[32];
    s_key (k, to);
    assert_true (len <= sizeof payload);
    return panda_relay_forward (r, from, k, payload, len, now, err);
}

static void
test_relay_registrations (void **state)
{
    panda_relay_limits_t limits = s_limits ();
    panda_relay_t *r = panda_relay_new (&limits);
    assert_non_null (r);
    s_register (r, 1, 1, s_net1, 0);
    s_register (r, 2, 2, s_net1, 0);
    s_register (r, 3, 3, s_net2, 0);
    panda_repl_relay_peer_t list[8];
    //  Only the others of one's own network.
    assert_int_equal (panda_relay_lookup (r, 1, list, 8), 1);
    assert_int_equal (list[0].node_key[0], 2);
    assert_true (list[0].address_len == 13 && memcmp (list[0].address, "10.0.0.1:2022", 13) == 0);
    assert_int_equal (panda_relay_lookup (r, 3, list, 8), 0);
    assert_int_equal (panda_relay_lookup (r, 99, list, 8), 0); //  not registered
    //  Whom to tell of a newcomer: the connections of its network's others.
    s_register (r, 4, 4, s_net1, 0);
    uint32_t conns[8];
    assert_int_equal (panda_relay_newcomer (r, 4, conns, 8), 2);
    assert_true ((conns[0] == 1 && conns[1] == 2) || (conns[0] == 2 && conns[1] == 1));
    assert_int_equal (panda_relay_newcomer (r, 4, conns, 1), 1); //  at most max
    assert_int_equal (panda_relay_newcomer (r, 3, conns, 8), 0);
    assert_int_equal (panda_relay_newcomer (r, 99, conns, 8), 0);
    assert_int_equal (panda_relay_stats (r).announced, 3);
    panda_relay_forget (r, 4);
    //  Forwarding across networks, or to oneself, is refused.
    panda_error_t err;
    assert_int_equal (s_forward (r, 1, 3, 10, 0, &err), PANDA_ERR_NOT_FOUND);
    assert_int_equal (s_forward (r, 1, 1, 10, 0, &err), PANDA_ERR_NOT_FOUND);
    assert_int_equal (s_forward (r, 99, 2, 10, 0, &err), PANDA_ERR_NOT_FOUND);
    assert_non_null (strstr (err.message, "register"));
    //  Registrations expire unless renewed.
    s_register (r, 1, 1, s_net1, 50000);
    panda_relay_expire (r, 60000);
    assert_int_equal (panda_relay_lookup (r, 1, list, 8), 0); //  2 is gone
    assert_null (panda_relay_node_key (r, 2));
    assert_non_null (panda_relay_node_key (r, 1));
    //  The same node on a new connection replaces its old one.
    s_register (r, 7, 1, s_net1, 60000);
    assert_null (panda_relay_node_key (r, 1));
    assert_int_equal (panda_relay_node_key (r, 7)[0], 1);
    //  A full table refuses, with the reason.
    for (int i = 10; i < 17; i++)
        s_register (r, (uint32_t) i, i, s_net1, 60000);
    uint8_t k[32];
    s_key (k, 30);
    uint64_t granted;
    assert_int_equal (panda_relay_register (r, 30, k, s_net1, "", 1000, 60000, &granted, &err),
                      PANDA_ERR_LIMIT);
    assert_non_null (strstr (err.message, "relay full"));
    assert_int_equal (panda_relay_stats (r).registrations, 8);
    panda_relay_destroy (&r);
}

static void
test_relay_forwarding (void **state)
{
    panda_relay_limits_t limits = s_limits ();
    panda_relay_t *r = panda_relay_new (&limits);
    for (int i = 1; i <= 4; i++)
        s_register (r, (uint32_t) i, i, s_net1, 0);
    panda_error_t err;
    //  1 -> 2 opens a circuit; the payload waits, then goes to connection 2.
    assert_int_equal (s_forward (r, 1, 2, 100, 0, &err), PANDA_OK);
    assert_int_equal (panda_relay_wait (r, 0), 0);
    panda_relay_item_t item;
    assert_true (panda_relay_next (r, 0, &item));
    assert_int_equal (item.to_conn, 2);
    assert_int_equal (item.from[0], 1);
    assert_int_equal (item.len, 100);
    assert_false (panda_relay_next (r, 0, &item));
    assert_int_equal (panda_relay_wait (r, 0), -1);
    //  2 -> 1 is the same circuit; 3 -> 4 a second; 1 -> 3 a third: refused.
    assert_int_equal (s_forward (r, 2, 1, 10, 0, &err), PANDA_OK);
    assert_int_equal (s_forward (r, 3, 4, 10, 0, &err), PANDA_OK);
    assert_int_equal (s_forward (r, 1, 3, 10, 0, &err), PANDA_ERR_LIMIT);
    assert_non_null (strstr (err.message, "relay busy"));
    assert_int_equal (panda_relay_stats (r).circuits, 2);
    while (panda_relay_next (r, 0, &item))
        ;
    //  Idle circuits close, making room.
    panda_relay_expire (r, PANDA_RELAY_CIRCUIT_IDLE_MS);
    assert_int_equal (panda_relay_stats (r).circuits, 0);
    assert_int_equal (s_forward (r, 1, 3, 10, 0, &err), PANDA_ERR_NOT_FOUND); //  registrations expired too
    panda_relay_destroy (&r);
}

//  Toward one node: at most node_queue_bytes waiting or unacknowledged.
static void
test_relay_queues (void **state)
{
    panda_relay_limits_t limits = s_limits ();
    limits.max_circuits = 8;
    panda_relay_t *r = panda_relay_new (&limits);
    for (int i = 1; i <= 4; i++)
        s_register (r, (uint32_t) i, i, s_net1, 0);
    panda_error_t err;
    for (int i = 0; i < 10; i++)
        assert_int_equal (s_forward (r, 1, 2, 1000, 0, &err), PANDA_OK);
    assert_int_equal (s_forward (r, 1, 2, 1, 0, &err), PANDA_ERR_LIMIT);
    assert_non_null (strstr (err.message, "queue toward that node is full"));
    panda_relay_item_t item;
    int sent = 0;
    while (panda_relay_next (r, 0, &item))
        sent++;
    assert_int_equal (sent, 10);
    //  Sent but not acknowledged still counts...
    assert_int_equal (s_forward (r, 3, 2, 1, 0, &err), PANDA_ERR_LIMIT);
    //  ...until node 2 acknowledges; an ack beyond what was sent frees no more.
    panda_relay_ack (r, 2, 4000);
    assert_int_equal (s_forward (r, 3, 2, 4000, 0, &err), PANDA_OK);
    assert_int_equal (s_forward (r, 3, 2, 1, 0, &err), PANDA_ERR_LIMIT);
    panda_relay_ack (r, 2, 1000000); //  only the 6000 sent count; 4000 still wait
    assert_int_equal (s_forward (r, 3, 2, 6000, 0, &err), PANDA_OK);
    assert_int_equal (s_forward (r, 3, 2, 1, 0, &err), PANDA_ERR_LIMIT);
    //  The total: 10000 toward 2 and 10000 toward 4 fit; 5001 toward 1 not.
    for (int i = 0; i < 10; i++)
        assert_int_equal (s_forward (r, 3, 4, 1000, 0, &err), PANDA_OK);
    assert_int_equal (s_forward (r, 2, 1, 5001, 0, &err), PANDA_ERR_LIMIT);
    assert_non_null (strstr (err.message, "queues are full"));
    assert_int_equal (s_forward (r, 2, 1, 5000, 0, &err), PANDA_OK);
    //  Node 2 leaves: what waits toward it and from it is gone, and so is its room.
    panda_relay_forget (r, 2);
    assert_int_equal (panda_relay_stats (r).queued_bytes, 10000); //  3 -> 4 only
    assert_int_equal (s_forward (r, 1, 4, 1, 0, &err), PANDA_ERR_LIMIT); //  4's queue is full
    assert_int_equal (s_forward (r, 1, 2, 1, 0, &err), PANDA_ERR_NOT_FOUND);
    assert_true (panda_relay_stats (r).refused >= 7);
    panda_relay_destroy (&r);
}

//  Rates: a node sends node_rate bytes a second, all nodes total_rate; a
//  fast sender does not hold up a slow one.
static void
test_relay_rates (void **state)
{
    panda_relay_limits_t limits = {.max_registrations = 8,
                                   .max_ttl_ms = 600000,
                                   .max_circuits = 8,
                                   .node_rate = 10000,
                                   .total_rate = 15000,
                                   .node_queue_bytes = 1u << 30,
                                   .total_queue_bytes = 1u << 30};
    panda_relay_t *r = panda_relay_new (&limits);
    for (int i = 1; i <= 3; i++)
        s_register (r, (uint32_t) i, i, s_net1, 0);
    panda_error_t err;
    for (int i = 0; i < 100; i++) {
        assert_int_equal (s_forward (r, 1, 3, 1000, 0, &err), PANDA_OK);
        assert_int_equal (s_forward (r, 2, 3, 1000, 0, &err), PANDA_OK);
    }
    //  Over 10 simulated seconds: about 15000 B/s in all, shared evenly.
    size_t from[3] = {0};
    panda_relay_item_t item;
    for (int64_t now = 0; now <= 10000; now += 10) {
        while (panda_relay_next (r, now, &item)) {
            from[item.from[0]] += item.len;
            panda_relay_ack (r, 3, item.len);
        }
        int64_t wait = panda_relay_wait (r, now);
        assert_true (wait >= 0 && wait <= 1000);
    }
    size_t total = from[1] + from[2];
    //  One second of burst plus ten of rate, give or take a payload.
    assert_true (total >= 150000 && total <= 15000 + 150000 + 2000);
    assert_true (from[1] > total / 3 && from[2] > total / 3);
    //  A single sender is held to its own rate.
    panda_relay_forget (r, 2);
    for (int i = 0; i < 100; i++)
        assert_int_equal (s_forward (r, 1, 3, 1000, 10000, &err), PANDA_OK);
    size_t before = from[1];
    for (int64_t now = 10010; now <= 15000; now += 10)
        while (panda_relay_next (r, now, &item))
            from[item.from[0]] += item.len;
    assert_true (from[1] - before <= 10000 * 5 + 10000 + 1000);
    assert_true (from[1] - before >= 10000 * 4);
    panda_relay_destroy (&r);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_relay_registrations),
        cmocka_unit_test (test_relay_forwarding),
        cmocka_unit_test (test_relay_queues),
        cmocka_unit_test (test_relay_rates),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
