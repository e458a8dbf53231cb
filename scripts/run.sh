#!/usr/bin/env bash
# One command to build and start the node with the embedded SQLite default:
#   scripts/run.sh [pandad options...]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --run
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPANDA_TESTS=OFF >/dev/null
cmake --build build -j "$(nproc)" --target pandad panda
exec build/bin/pandad "$@"
