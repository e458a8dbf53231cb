/*  panda_netns.h - network namespaces for tests of several real nodes, as
    root, in one of two shapes:

    - a LAN: a hub namespace holding a bridge, and one namespace per node
      with a veth into that bridge (10.77.0.<i + 1>/24 with a broadcast
      address, MAC 02:77:00:00:00:<i + 1>);
    - NAT: the internet ("pub", 10.0.1.1 and 10.0.2.1), two routers ("rA"
      10.0.1.2, "rB" 10.0.2.2) that masquerade, and behind each a home
      ("hA", "hB", both 192.168.1.2), made by tests/netns_nat.sh. A home
      reaches pub; nothing reaches a home.

    Nothing is made in the test's own namespace. Every name starts with
    pdd<pid>. Leftovers of earlier runs (pdd<pid> of a process that is
    gone) are removed when a shape is made, and what was made is removed
    at exit (atexit, SIGINT, SIGTERM), so also after a failed test, with
    any process still running in it. One shape per process; only the
    test's thread may enter a namespace (setns), to start a pandad there
    (the child inherits it) and to speak HTTP to it on 127.0.0.1.         */
#ifndef PANDA_NETNS_H_INCLUDED
#define PANDA_NETNS_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>

#define PANDA_NETNS_MAX_NODES 16

//  Make the LAN of nodes namespaces. 0, or -1 with why, which the caller
//  prints as the reason it skips (not root, namespaces unavailable).
int panda_netns_lan_new (int nodes, char *why, size_t size);

//  Make the NAT shape (needs nft, Debian's nftables). 0, or -1 with why.
int panda_netns_nat_new (char *why, size_t size);

//  Remove what was made (also done at exit), after killing what still
//  runs there; the test's thread is back home.
void panda_netns_destroy (void);

//  Enter LAN node i's namespace, or the named one of the NAT shape
//  ("pub", "hA", ...), and back to the test's own; each fails the test if
//  it cannot.
void panda_netns_enter (int i);
void panda_netns_enter_name (const char *name);
void panda_netns_leave (void);

//  The system's name of the named namespace ("pub" -> "pdd<pid>pub"), for
//  'ip netns exec': a static string, valid until the next call.
const char *panda_netns_name (const char *name);

//  Node i's veth inside its namespace (for ZSYS_INTERFACE), and its IPv4
//  address: static strings, valid until the next call.
const char *panda_netns_interface (int i);
const char *panda_netns_address (int i);

//  Take node i's bridge port down (cut it off from every other node: a
//  partition) or up again (heal), in the hub. 0 on success.
int panda_netns_link_set (int i, bool up);

//  Node i knows node j's MAC address for good (no ARP): while a link is
//  cut, i's packets to j vanish silently, as beyond a router, instead of
//  failing after ARP's few seconds (EHOSTUNREACH). 0 on success.
int panda_netns_neigh_static (int i, int j);

#endif
