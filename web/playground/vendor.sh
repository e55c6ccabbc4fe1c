#!/usr/bin/env bash
# Refreshes the vendored GraphiQL/React browser builds in web/playground/assets
# from the npm registry. Not run at build or run time: the output is committed.
#
#   bash web/playground/vendor.sh                  # the pinned versions below
#   GRAPHIQL=3.9.0 REACT=18.3.1 bash web/playground/vendor.sh
#
# After a version change, update the <link>/<script> names in index.html and
# the table in README.md, then run `go test ./web/` and the browser test.
set -euo pipefail

GRAPHIQL="${GRAPHIQL:-3.9.0}"
REACT="${REACT:-18.3.1}"

here="$(cd "$(dirname "$0")" && pwd)"
assets="$here/assets"
licenses="$here/licenses"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

cd "$tmp"
npm pack --silent "graphiql@$GRAPHIQL" "react@$REACT" "react-dom@$REACT" >/dev/null
for pkg in "graphiql-$GRAPHIQL" "react-$REACT" "react-dom-$REACT"; do
  mkdir "$pkg"
  tar xzf "$pkg.tgz" -C "$pkg"
done

# Drop the sourceMappingURL comment: the .map files are not vendored.
strip_map() { sed -e '/^\/\/# sourceMappingURL=/d' -e 's#/\*\# sourceMappingURL=[^*]*\*/##' "$1" >"$2"; }

rm -f "$assets"/graphiql-*.min.js "$assets"/graphiql-*.min.css \
  "$assets"/react-*.production.min.js
strip_map "graphiql-$GRAPHIQL/package/graphiql.min.js" "$assets/graphiql-$GRAPHIQL.min.js"
strip_map "graphiql-$GRAPHIQL/package/graphiql.min.css" "$assets/graphiql-$GRAPHIQL.min.css"
strip_map "react-$REACT/package/umd/react.production.min.js" "$assets/react-$REACT.production.min.js"
strip_map "react-dom-$REACT/package/umd/react-dom.production.min.js" "$assets/react-dom-$REACT.production.min.js"

mkdir -p "$licenses"
cp "graphiql-$GRAPHIQL/package/LICENSE" "$licenses/graphiql.LICENSE"
cp "react-$REACT/package/LICENSE" "$licenses/react.LICENSE"
cp "react-dom-$REACT/package/LICENSE" "$licenses/react-dom.LICENSE"

ls -l "$assets"
