#!/usr/bin/env bash
# Installs the Debian packages pandad needs:
#   scripts/install-deps.sh --run   to build and run the node (scripts/run.sh)
#   scripts/install-deps.sh         that, and what the tests need (scripts/test.sh)
# Skips apt-get entirely when everything is already there.
set -euo pipefail
# Building and running the node.
run_packages=(build-essential cmake pkg-config
              libsodium-dev libzmq3-dev libczmq-dev libmsgpack-dev libsqlite3-dev
              libcivetweb-dev libjansson-dev)
# The tests: fuzz targets (clang), unit tests (cmocka), reference hashes
# (b3sum), interop with p2panda-js (node, npm).
test_packages=(clang libclang-rt-14-dev
               libcmocka-dev
               b3sum)
packages=("${run_packages[@]}")
if [ "${1:-}" != "--run" ]; then
    packages+=("${test_packages[@]}")
    command -v node >/dev/null 2>&1 || packages+=(nodejs)
    command -v npm >/dev/null 2>&1 || packages+=(npm)
fi
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "installing: ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
