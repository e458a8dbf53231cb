/*  replicate_discovery.c - LAN discovery (mdns = true): UDP broadcast
    beacons with CZMQ's zbeacon, as zyre does (docs/replication.md,
    "Discovery on the LAN").

    Every second each node broadcasts on UDP discovery_port (2023 by
    default, so it never meets an aquadoggo QUIC socket on 2022):

        "PNDA*" version(1) network tag(8) node key(32) node port(2, BE)   48 bytes

    The network tag is panda_replicate_network_tag: a truncated hash of
    the psk (or of a public constant without one), so a psk'd network's
    beacons reveal neither the psk nor anything a node of another network
    can use, and zbeacon's prefix filter (magic, version, tag) drops them
    before they reach the actor. zbeacon drops its own echo; the actor
    also ignores beacons carrying its own node key. zbeacon sets
    SO_REUSEADDR and SO_REUSEPORT, so nodes on one host share the port.
    The interface is zbeacon's choice: $ZSYS_INTERFACE, else the first
    broadcast-capable one; a host with none (only lo) runs without LAN
    discovery and says so.                                                 */
#include "replicate.h"

#include <string.h>

#define S_MAGIC "PNDA*"
#define S_VERSION 1
#define S_PREFIX_SIZE (5 + 1 + PANDA_REPL_NETWORK_TAG_SIZE)
#define S_BEACON_SIZE (S_PREFIX_SIZE + 32 + 2)
#define S_INTERVAL_MS 1000

static void
s_prefix (uint8_t *out, const uint8_t *network_tag)
{
    memcpy (out, S_MAGIC, 5);
    out[5] = S_VERSION;
    memcpy (out + 6, network_tag, PANDA_REPL_NETWORK_TAG_SIZE);
}

zactor_t *
panda_replicate_discovery_new (uint16_t discovery_port, const uint8_t *node_key, int port,
                               const uint8_t *network_tag, char *interface, size_t size, panda_error_t *err)
{
    if (port <= 0 || port > 65535) {
        panda_error_set (err, PANDA_ERR_INVALID, "no replication port to announce");
        return NULL;
    }
    zactor_t *beacon = zactor_new (zbeacon, NULL);
    if (!beacon) {
        panda_error_set (err, PANDA_ERR_NOMEM, "cannot start zbeacon");
        return NULL;
    }
    zsock_send (beacon, "si", "CONFIGURE", (int) discovery_port);
    char *hostname = zstr_recv (beacon);
    if (!hostname || !*hostname) {
        const char *wanted = getenv ("ZSYS_INTERFACE");
        if (wanted && *wanted)
            panda_error_set (err, PANDA_ERR_NOT_FOUND,
                             "no broadcast interface found (ZSYS_INTERFACE=%s has no usable IPv4 address)",
                             wanted);
        else
            panda_error_set (err, PANDA_ERR_NOT_FOUND,
                             "no broadcast interface found (zbeacon needs one; ZSYS_INTERFACE names it)");
        zstr_free (&hostname);
        zactor_destroy (&beacon);
        return NULL;
    }
    snprintf (interface, size, "%s", hostname);
    zstr_free (&hostname);
    panda_replicate_discovery_publish (beacon, node_key, port, network_tag);
    uint8_t prefix[S_PREFIX_SIZE];
    s_prefix (prefix, network_tag);
    zsock_send (beacon, "sb", "SUBSCRIBE", prefix, sizeof prefix);
    return beacon;
}

void
panda_replicate_discovery_publish (zactor_t *beacon, const uint8_t *node_key, int port,
                                   const uint8_t *network_tag)
{
    uint8_t data[S_BEACON_SIZE];
    s_prefix (data, network_tag);
    memcpy (data + S_PREFIX_SIZE, node_key, 32);
    data[S_PREFIX_SIZE + 32] = (uint8_t) (port >> 8);
    data[S_PREFIX_SIZE + 33] = (uint8_t) port;
    //  zbeacon sends the first one at once, then every interval.
    zsock_send (beacon, "sbi", "PUBLISH", data, sizeof data, S_INTERVAL_MS);
}

bool
panda_replicate_discovery_recv (zactor_t *beacon, const uint8_t *network_tag, uint8_t node_key[32],
                                char *address, size_t size)
{
    zmsg_t *msg = zmsg_recv (beacon);
    char *sender = msg ? zmsg_popstr (msg) : NULL;
    zframe_t *data = msg ? zmsg_pop (msg) : NULL;
    zmsg_destroy (&msg);
    //  IPv4 only (an IPv6 sender would need brackets in the address).
    uint8_t prefix[S_PREFIX_SIZE];
    s_prefix (prefix, network_tag);
    bool ok = sender && *sender && strlen (sender) < 64 && !strchr (sender, ':') && data &&
              zframe_size (data) == S_BEACON_SIZE && memcmp (zframe_data (data), prefix, S_PREFIX_SIZE) == 0;
    if (ok) {
        const uint8_t *bytes = zframe_data (data);
        unsigned port = (unsigned) bytes[S_PREFIX_SIZE + 32] << 8 | bytes[S_PREFIX_SIZE + 33];
        memcpy (node_key, bytes + S_PREFIX_SIZE, 32);
        ok = port != 0 && snprintf (address, size, "%s:%u", sender, port) < (int) size;
    }
    zstr_free (&sender);
    zframe_destroy (&data);
    return ok;
}
