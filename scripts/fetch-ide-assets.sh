#!/usr/bin/env bash
# Refreshes third_party/graphiql/: the GraphiQL IDE that GET /graphql
# serves, with the React it runs on, from the npm registry (npm pack, so
# the files are the published tarballs' own). Pinned versions below: to
# move to others, change them, run this, rebuild, and check the IDE in a
# browser (tests/test_node_ide.c checks the files are served). The files
# are committed; the build embeds them into pandad (cmake/embed-assets.cmake).
set -euo pipefail
cd "$(dirname "$0")/.."

GRAPHIQL_VERSION=3.8.3 # the last major with a UMD build (graphiql.min.js)
REACT_VERSION=18.3.1   # the last major with UMD builds; graphiql 3 takes 16 to 18

command -v npm >/dev/null || { echo "npm is needed (apt-get install npm)" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "graphiql@$GRAPHIQL_VERSION" "react@$REACT_VERSION" \
    "react-dom@$REACT_VERSION" >/dev/null)
out=third_party/graphiql
for pkg in graphiql-$GRAPHIQL_VERSION react-$REACT_VERSION react-dom-$REACT_VERSION; do
    name=${pkg%-*}
    mkdir -p "$work/$name" "$out/$name"
    tar -xzf "$work/$pkg.tgz" -C "$work/$name"
    cp "$work/$name/package/LICENSE" "$out/$name/LICENSE"
done
# The bundles' last line points browsers' developer tools at source maps
# the node does not serve: dropped, so no tool asks for them.
copy() { sed '/^\/[/*][#@] sourceMappingURL=/d' "$1" >"$2"; }
copy "$work/graphiql/package/graphiql.min.js" "$out/graphiql/graphiql.min.js"
copy "$work/graphiql/package/graphiql.min.css" "$out/graphiql/graphiql.min.css"
copy "$work/react/package/umd/react.production.min.js" "$out/react/react.production.min.js"
copy "$work/react-dom/package/umd/react-dom.production.min.js" "$out/react-dom/react-dom.production.min.js"
echo "third_party/graphiql: graphiql $GRAPHIQL_VERSION, react and react-dom $REACT_VERSION"
(cd "$out" && sha256sum */*.js */*.css)
