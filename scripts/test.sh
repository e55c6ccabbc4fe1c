#!/usr/bin/env bash
# make test / make bench: one throw-away real Neo4j for the whole run, then the Go checks.
#
#   scripts/test.sh         gqlgen up-to-date check, go vet, browser and reader deps (npm, networkx), go test -race -count=1 -timeout 40m ./...
#   scripts/test.sh bench   go test -run '^$' -bench $BENCH -benchtime $BENCHTIME on packages with benchmarks
#
# The tests get: POLICYGRAPH_TEST_NEO4J_URI (= NEO4J_URI) = bolt://127.0.0.1:<free port>,
# NEO4J_USER=neo4j, NEO4J_PASSWORD, POLICYGRAPH_REQUIRE_NEO4J=1. If Neo4j cannot start, this fails.
# Knobs: GO_TEST_FLAGS (extra go test flags, e.g. "-run TestX -v"), BENCH (.), BENCHTIME (1s),
# NEO4J_START_TIMEOUT (180 here), NEO4J_PAGECACHE_MB (256 here), NEO4J_JAVA_OPTS (test default
# -XX:TieredStopAtLevel=1: C1 only, halves Neo4j's start-up CPU; bench keeps the full JIT).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

mode="${1:-test}"
die() { echo "policygraph: $*" >&2; exit 1; }
command -v go >/dev/null 2>&1 || die "go not found: install Go 1.26+ (go.dev/dl)"

# A TCP port nothing listens on, below Linux's ephemeral range (32768+).
free_port() {
  local p i
  for ((i = 0; i < 100; i++)); do
    p=$((20000 + RANDOM % 12000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
      echo "$p"
      return 0
    fi
  done
  die "no free TCP port found for Neo4j"
}

unset NEO4J_PID_FILE # the throw-away Neo4j keeps its pid file in its own data dir
bash scripts/neo4j.sh build

port="$(free_port)"
data="$(mktemp -d "${TMPDIR:-/tmp}/policygraph-neo4j.XXXXXX")"
password="policygraph"
start_pid=""
cleanup() {
  local rc=$?
  trap - EXIT INT TERM HUP
  if [[ -n "$start_pid" ]]; then wait "$start_pid" 2>/dev/null || true; fi
  bash scripts/neo4j.sh stop --data "$data" || true
  rm -rf "$data"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

export NEO4J_PAGECACHE_MB="${NEO4J_PAGECACHE_MB:-256}"
# Neo4j starts while gqlgen and go vet compile on the same (2) cores: allow for a cold build cache.
export NEO4J_START_TIMEOUT="${NEO4J_START_TIMEOUT:-180}"
if [[ "$mode" == test ]]; then export NEO4J_JAVA_OPTS="${NEO4J_JAVA_OPTS--XX:TieredStopAtLevel=1}"; fi
# Start Neo4j in the background while the checks that do not need it run.
NEO4J_BOLT_PORT="$port" NEO4J_DATA_DIR="$data" NEO4J_PASSWORD="$password" bash scripts/neo4j.sh start &
start_pid=$!

if [[ "$mode" == test ]]; then
  if [[ -f gqlgen.yml ]]; then
    # Regenerate in a scratch copy of the tree, so this check never rewrites files being edited.
    echo "policygraph: checking that the generated gqlgen code in graph/ is up to date" >&2
    gen="$(mktemp -d "${TMPDIR:-/tmp}/policygraph-gqlgen.XXXXXX")"
    tar --exclude=./.git --exclude=node_modules --exclude=./neo4j/target --exclude=./.neo4j-data \
      -cf - . | tar -xf - -C "$gen"
    snapshot() { find graph -type f -print0 2>/dev/null | sort -z | xargs -0 -r sha256sum; }
    before="$(cd "$gen" && snapshot)"
    (cd "$gen" && go run github.com/99designs/gqlgen generate)
    after="$(cd "$gen" && snapshot)"
    rm -rf "$gen"
    if [[ "$before" != "$after" ]]; then
      diff <(echo "$before") <(echo "$after") >&2 || true
      die "generated gqlgen code in graph/ is out of date (files above): run 'make generate' and commit"
    fi
  fi
  echo "policygraph: go vet ./..." >&2
  go vet ./...
  # Node packages of the browser tests, the export readers and the graphql-http audit, installed from their lock files.
  for dir in tests/browser tests/readers tests/audit; do
    [[ -f "$dir/package.json" ]] || continue
    command -v npm >/dev/null 2>&1 || die "npm not found ($dir): install Node.js 20+ with npm"
    lock="$dir/package-lock.json"
    stamp="$dir/node_modules/.policygraph-lock.sha256"
    [[ -f "$lock" ]] || die "$lock missing: run 'npm install --prefix $dir' and commit the lock file"
    want="$(sha256sum "$lock" | cut -d' ' -f1)"
    if [[ ! -d "$dir/node_modules" || "$(cat "$stamp" 2>/dev/null)" != "$want" ]]; then
      echo "policygraph: npm ci --prefix $dir" >&2
      npm ci --prefix "$dir" --no-audit --no-fund
      echo "$want" >"$stamp"
    fi
  done
  # networkx reads the GEXF and GraphML exports in the tests (tests/readers/read.py).
  if ! python3 -c 'import networkx' 2>/dev/null; then
    command -v python3 >/dev/null 2>&1 || die "python3 not found (export readers): install python3 and python3-pip"
    echo "policygraph: pip install networkx (export readers)" >&2
    python3 -m pip install --quiet --user 'networkx==3.6.1' 2>/dev/null ||
      python3 -m pip install --quiet --user --break-system-packages 'networkx==3.6.1' ||
      die "could not install networkx: python3 -m pip install --user networkx"
  fi
fi

wait "$start_pid" || { start_pid=""; die "Neo4j did not start (see above): the tests need a real Neo4j"; }
start_pid=""

export POLICYGRAPH_TEST_NEO4J_URI="bolt://127.0.0.1:$port"
export NEO4J_URI="$POLICYGRAPH_TEST_NEO4J_URI"
export NEO4J_USER=neo4j
export NEO4J_PASSWORD="$password"
export POLICYGRAPH_REQUIRE_NEO4J=1

# shellcheck disable=SC2206
extra=(${GO_TEST_FLAGS:-})
case "$mode" in
  test)
    echo "policygraph: go test -race -count=1 -timeout 40m ./... (Neo4j at $POLICYGRAPH_TEST_NEO4J_URI)" >&2
    # -timeout: the Neo4j packages run one after another (neo4jtest's lock) and neo4jstore alone
    # takes 8-10 minutes under -race on 2 busy cores: go test's 10-minute default is too close.
    go test -race -count=1 -timeout 40m "${extra[@]}" ./...
    ;;
  bench)
    mapfile -t pkgs < <(grep -rlE --include='*_test.go' --exclude-dir=node_modules --exclude-dir=.git \
      --exclude-dir=neo4j '^func Benchmark' . | xargs -r -n1 dirname | sort -u)
    ((${#pkgs[@]})) || die "no benchmarks found (func BenchmarkX in *_test.go)"
    echo "policygraph: go test -bench ${BENCH:-.} -benchtime ${BENCHTIME:-1s} ${pkgs[*]}" >&2
    go test -run '^$' -bench "${BENCH:-.}" -benchtime "${BENCHTIME:-1s}" -benchmem -count=1 "${extra[@]}" "${pkgs[@]}"
    ;;
  *) die "usage: scripts/test.sh [test|bench]" ;;
esac
