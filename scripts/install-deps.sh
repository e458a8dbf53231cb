#!/usr/bin/env bash
# Installs the Debian packages pandad needs to build, run and test.
# Skips apt-get entirely when everything is already there.
#   scripts/install-deps.sh [--browser]
# --browser (scripts/test.sh) also tries a headless Chromium for the test
# that renders the GraphQL IDE; that test skips, loudly, without one.
set -euo pipefail
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
if [ "${1:-}" = "--browser" ] && ! command -v chromium-headless-shell >/dev/null 2>&1 &&
    ! command -v chromium >/dev/null 2>&1; then
    echo "installing: chromium-headless-shell (tests only)"
    { $sudo apt-get update -qq &&
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
            chromium-headless-shell; } ||
        echo "chromium-headless-shell is not installable here: the IDE render test will skip"
fi
packages=(build-essential cmake pkg-config clang libclang-rt-14-dev
          libsodium-dev libzmq3-dev libczmq-dev libmsgpack-dev libsqlite3-dev
          libcivetweb-dev libjansson-dev libcmocka-dev b3sum)
command -v node >/dev/null 2>&1 || packages+=(nodejs)
command -v npm >/dev/null 2>&1 || packages+=(npm)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "installing: ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
