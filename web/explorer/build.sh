#!/usr/bin/env bash
# Builds the explorer's assets (web/explorer/assets/) from src/ and the pinned npm packages
# (package-lock.json): npm ci, then esbuild bundles and minifies src/main.js (with sigma,
# graphology, ForceAtlas2 and src/queries.graphql) and src/explorer.css into files named with a
# hash of their content, rewrites the two asset names in index.html, and copies the licenses of
# the bundled packages to licenses/. Not run at build or run time: the output is committed, so
# `go build` and `make run` need no Node.
#
#   bash web/explorer/build.sh
#
# Then run `go test ./web/` and the browser test (tests/browser/).
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
cd "$here"

npm ci --no-audit --no-fund --loglevel=error

rm -rf assets
mkdir -p assets
meta="$(mktemp)"
trap 'rm -f "$meta"' EXIT

./node_modules/.bin/esbuild src/main.js src/explorer.css \
  --bundle --minify --format=iife --target=es2020,chrome100,firefox100,safari15 \
  --loader:.graphql=text --legal-comments=none --charset=utf8 \
  --entry-names='explorer-[hash]' --outdir=assets --metafile="$meta" --log-level=warning

js="$(cd assets && ls explorer-*.js)"
css="$(cd assets && ls explorer-*.css)"
sed -i.bak -E \
  -e "s/explorer-[A-Za-z0-9]+\.js/$js/" \
  -e "s/explorer-[A-Za-z0-9]+\.css/$css/" index.html
rm -f index.html.bak

cat >assets/.gitattributes <<'EOF'
# Built by ../build.sh from ../src and npm packages (minified): no text diffs.
*.js -diff linguist-generated
*.css -diff linguist-generated
EOF

# Licenses of every npm package that ended up in the bundle.
rm -rf licenses
mkdir -p licenses
node -e '
  const meta = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  const pkgs = new Set();
  for (const f of Object.keys(meta.inputs)) {
    const m = f.match(/node_modules\/((?:@[^/]+\/)?[^/]+)\//);
    if (m) pkgs.add(m[1]);
  }
  console.log([...pkgs].sort().join("\n"));
' "$meta" | while read -r pkg; do
  lic="$(ls node_modules/"$pkg"/ | grep -iE '^(licen[cs]e|copying)' | head -n1 || true)"
  version="$(node -p "require('./node_modules/$pkg/package.json').version")"
  if [ -z "$lic" ]; then
    echo "build.sh: no license file in $pkg" >&2
    exit 1
  fi
  cp "node_modules/$pkg/$lic" "licenses/${pkg//\//__}-$version.LICENSE"
done

ls -l assets licenses
