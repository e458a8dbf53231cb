#!/usr/bin/env bash
# Fails if any C file differs from .clang-format (fix: scripts/check-format.sh --fix).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v clang-format >/dev/null || { echo "clang-format missing: skipping format check"; exit 0; }
files=$(git ls-files '*.c' '*.h' 2>/dev/null || find . -name '*.[ch]' -not -path './build*')
if [ "${1:-}" = "--fix" ]; then
    clang-format -i $files
    exit 0
fi
bad=0
for f in $files; do
    if ! clang-format --dry-run --Werror "$f" >/dev/null 2>&1; then
        echo "not formatted: $f"
        bad=1
    fi
done
[ $bad -eq 0 ] || { echo "run scripts/check-format.sh --fix"; exit 1; }
