#!/usr/bin/env bash
# Runs one interop script with the real p2panda-js / shirokuma from npm:
#   run.sh SCRIPT.mjs BIN_DIR
# Installs the pinned packages (package-lock.json) on first use; the script
# gets the directory of our programs in PANDA_BIN_DIR.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
script=$1
export PANDA_BIN_DIR=$2
stamp="$here/node_modules/.pandad-lock-stamp"
if [ ! -f "$stamp" ] || ! cmp -s "$here/package-lock.json" "$stamp"; then
    (cd "$here" && npm ci --no-audit --no-fund --loglevel=error)
    cp "$here/package-lock.json" "$stamp"
fi
# Our programs are built with ASan in the test build: p2panda-js runs in
# node, which must not inherit the sanitizer runtime settings' leak checks.
exec node "$script"
