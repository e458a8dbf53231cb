#!/usr/bin/env bash
# Two homes behind NAT and the internet between them, in network namespaces
# (as root), for test_node_relay and bench_replication --relay:
#   tests/netns_nat.sh up PREFIX     make PREFIX{pub,rA,rB,hA,hB}
#   tests/netns_nat.sh down PREFIX   remove them (quiet if absent)
# pub (the internet, 10.0.1.1 and 10.0.2.1) links the routers rA (10.0.1.2)
# and rB (10.0.2.2); each router masquerades (nftables) its home, hA or hB,
# both 192.168.1.2 behind 192.168.1.1. Homes reach pub; nothing reaches a
# home. Interface names: PREFIX + {a,b} + {w: pub side, u: router up, l:
# router down, h: home}.
set -euo pipefail
action=$1 p=$2
if [ "$action" = down ]; then
    for n in pub rA rB hA hB; do ip netns del "${p}$n" 2>/dev/null || true; done
    exit 0
fi
[ "$action" = up ] || { echo "usage: $0 up|down PREFIX" >&2; exit 2; }
for n in pub rA rB hA hB; do
    ip netns add "${p}$n"
    ip -n "${p}$n" link set lo up
done
for side in a b; do
    R=$([ $side = a ] && echo A || echo B) n=$([ $side = a ] && echo 1 || echo 2)
    ip link add "${p}${side}w" netns "${p}pub" type veth peer name "${p}${side}u" netns "${p}r$R"
    ip link add "${p}${side}l" netns "${p}r$R" type veth peer name "${p}${side}h" netns "${p}h$R"
    ip -n "${p}pub" addr add "10.0.$n.1/24" dev "${p}${side}w"
    ip -n "${p}r$R" addr add "10.0.$n.2/24" dev "${p}${side}u"
    ip -n "${p}r$R" addr add 192.168.1.1/24 dev "${p}${side}l"
    ip -n "${p}h$R" addr add 192.168.1.2/24 dev "${p}${side}h"
    ip -n "${p}pub" link set "${p}${side}w" up
    ip -n "${p}r$R" link set "${p}${side}u" up
    ip -n "${p}r$R" link set "${p}${side}l" up
    ip -n "${p}h$R" link set "${p}${side}h" up
    ip -n "${p}h$R" route add default via 192.168.1.1
    ip -n "${p}r$R" route add default via "10.0.$n.1"
    ip netns exec "${p}r$R" sysctl -qw net.ipv4.ip_forward=1
    ip netns exec "${p}r$R" nft add table ip nat
    ip netns exec "${p}r$R" nft 'add chain ip nat post { type nat hook postrouting priority 100 ; }'
    ip netns exec "${p}r$R" nft add rule ip nat post oifname "${p}${side}u" masquerade
done
