#!/usr/bin/env bash
# Installs the Debian packages pandad needs to build, run and test.
# Skips apt-get entirely when everything is already there.
set -euo pipefail
packages=(build-essential cmake pkg-config clang libclang-rt-14-dev
          libsodium-dev libzmq3-dev libczmq-dev libmsgpack-dev libsqlite3-dev
          libcivetweb-dev libjansson-dev libcmocka-dev b3sum
          prometheus)  # prometheus: promtool checks GET /metrics in test_node_metrics
command -v node >/dev/null 2>&1 || packages+=(nodejs)
command -v npm >/dev/null 2>&1 || packages+=(npm)
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
