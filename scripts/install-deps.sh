#!/usr/bin/env bash
# Installs the Debian packages pandad needs:
#   scripts/install-deps.sh --run      to build and run the node (scripts/run.sh)
#   scripts/install-deps.sh            that, and what the tests need
#   scripts/install-deps.sh --browser  that, and tries a headless Chromium for
#                                      the test that renders the GraphQL IDE
#                                      (scripts/test.sh; the test skips, loudly,
#                                      without one)
# Skips apt-get entirely when everything is already there.
set -euo pipefail
mode=${1:-}
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
if [ "$mode" = "--browser" ] && ! command -v chromium-headless-shell >/dev/null 2>&1 &&
    ! command -v chromium >/dev/null 2>&1; then
    echo "installing: chromium-headless-shell (tests only)"
    { $sudo apt-get update -qq &&
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
            chromium-headless-shell; } ||
        echo "chromium-headless-shell is not installable here: the IDE render test will skip"
fi
# Building and running the node.
run_packages=(build-essential cmake pkg-config
              libsodium-dev libzmq3-dev libczmq-dev libmsgpack-dev libsqlite3-dev
              libcivetweb-dev libjansson-dev)
# The tests: fuzz targets (clang), unit tests (cmocka), reference hashes
# (b3sum), network namespaces and NAT (iproute2, nftables), the metrics
# page's checker (prometheus: promtool), interop with p2panda-js (node, npm).
test_packages=(clang libclang-rt-14-dev
               libcmocka-dev
               b3sum
               iproute2 nftables
               prometheus)
packages=("${run_packages[@]}")
if [ "$mode" != "--run" ]; then
    packages+=("${test_packages[@]}")
    command -v node >/dev/null 2>&1 || packages+=(nodejs)
    command -v npm >/dev/null 2>&1 || packages+=(npm)
fi
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "installing: ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
