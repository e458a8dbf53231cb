#!/usr/bin/env bash
# One command for every test: installs what is missing, builds with
# ASan+UBSan and warnings as errors, runs the whole ctest suite (unit,
# fuzz-corpus replay, interop with p2panda-js/shirokuma from npm, the
# GraphQL IDE in a headless Chromium when one can be installed).
#   scripts/test.sh [ctest args...]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --browser
build=${PANDA_BUILD_DIR:-build-test}
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Debug -DPANDA_WERROR=ON -DPANDA_SANITIZER=address+undefined >/dev/null
cmake --build "$build" -j "$(nproc)"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
cd "$build" && ctest --output-on-failure -j "$(nproc)" "$@"
