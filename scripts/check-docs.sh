#!/usr/bin/env bash
# Fails if a source file of the node is not named in docs/design.md (its
# "Source map" section is made by scripts/source-map.sh), so the design
# page keeps describing the code that exists.
set -euo pipefail
cd "$(dirname "$0")/.."
missing=0
for f in $(git ls-files 'include/*.h' 'lib/*.[ch]' 'actors/*.[ch]' 'bin/*.[ch]'); do
    if ! grep -qF "\`$f\`" docs/design.md; then
        echo "docs/design.md does not name $f (scripts/source-map.sh prints the table)"
        missing=1
    fi
done
for f in $(grep -o '`\(include\|lib\|actors\|bin\)/[^`*]*\.[ch]`' docs/design.md | tr -d '`' | sort -u); do
    if [ ! -f "$f" ]; then
        echo "docs/design.md names $f, which does not exist"
        missing=1
    fi
done
exit $missing
