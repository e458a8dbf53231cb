#!/usr/bin/env bash
# Prints the "Source map" table of docs/design.md: each source file with the
# first sentence of its header comment ("/*  name - what it is."). Run it
# after adding, removing or renaming a file; with --write it replaces the
# table at the end of docs/design.md itself. scripts/check-docs.sh (in CI)
# fails while a file is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" = "--write" ]; then
    table=$(bash "$0")
    head=$(awk '/^\| file \| what \|$/ { exit } { print }' docs/design.md)
    printf '%s\n%s\n' "$head" "$table" > docs/design.md
    exit 0
fi
echo "| file | what |"
echo "|---|---|"
for f in $(git ls-files 'include/*.h' 'lib/*.[ch]' 'actors/*.[ch]' 'bin/*.[ch]' | sort); do
    what=$(awk 'NR == 1 { sub(/^\/\*  *[^ ]* *- */, "") } { text = text " " $0 } /\*\/|\. |\.$/ { exit }
                END { sub(/\*\/.*/, "", text); sub(/\. .*/, ".", text); gsub(/  +/, " ", text);
                      gsub(/\|/, "\\|", text); sub(/^ /, "", text); sub(/ $/, "", text); print text }' "$f")
    echo "| \`$f\` | $what |"
done
