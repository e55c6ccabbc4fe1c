#!/usr/bin/env bash
# Whole-graph export rate and the server's peak memory, measured on a real server process.
#
#   NEO4J_URI=bolt://127.0.0.1:7692 NEO4J_PASSWORD=... bash bench/export.sh [FORMAT ...]
#
# Point NEO4J_URI at a Neo4j holding the graph to export (e.g. loaded with
# `go run ./synth/cmd/synth -nodes 1000000`). For each format (default: all six) it starts the
# server binary afresh (LOAD_BUNDLED_DATA=false, EXPORT_TIMEOUT=1h), downloads
# /export/FORMAT of the whole graph with curl into /dev/null, and prints the time, the bytes,
# the rate in graph elements (nodes + relationships) per second, and the server's peak RSS
# (VmHWM) before and after. BENCH_EDGES: the graph's relationship count (for the rate);
# BENCH_NODES: its node count (default: asked from the API, a full count).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
: "${NEO4J_URI:?set NEO4J_URI to the Neo4j holding the graph}"
formats=("$@")
((${#formats[@]})) || formats=(gexf graphml cytoscape.json graphology.json nodes.csv edges.csv)
port="${BENCH_PORT:-18089}"
bin="$(mktemp -d)/policygraph"
go build -o "$bin" .
pid=""
trap '[[ -n "$pid" ]] && kill "$pid" 2>/dev/null; rm -rf "$(dirname "$bin")"' EXIT

hwm() { awk '/VmHWM/ {print int($2/1024)}' "/proc/$1/status"; }
rss() { awk '/VmRSS/ {print int($2/1024)}' "/proc/$1/status"; }

count() { # nodes and relationships, through the API
  curl -sf "http://127.0.0.1:$port/graphql" -H 'Content-Type: application/json' \
    -d '{"query":"{ nodes(first: 1) { totalCount } }"}' | sed -E 's/.*"totalCount":([0-9]+).*/\1/'
}

printf '%-16s %10s %10s %9s %14s %12s %12s\n' format nodes edges seconds "elements/s" "MB" "peak RSS MB"
for f in "${formats[@]}"; do
  LISTEN_ADDR="127.0.0.1:$port" LOAD_BUNDLED_DATA=false EXPORT_TIMEOUT=1h QUERY_TIMEOUT=5m LOG_LEVEL=warn "$bin" serve 2>/dev/null &
  pid=$!
  for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break; sleep 0.2; done
  nodes="${BENCH_NODES:-$(count)}"
  [[ "$nodes" =~ ^[0-9]+$ ]] || { echo "could not count the nodes: $nodes (set BENCH_NODES)" >&2; exit 1; }
  before="$(hwm "$pid")"
  out="$(curl -sf -o /dev/null -D - -w 'STATS %{size_download} %{time_total}\n' "http://127.0.0.1:$port/export/$f")"
  peak="$(hwm "$pid")"
  read -r _ size secs < <(grep '^STATS' <<<"$out")
  # Relationships: BENCH_EDGES (the synth loader prints the count; docs/benchmarks.md lists them).
  edges="${BENCH_EDGES:-0}"
  case "$f" in nodes.csv) e=$nodes ;; edges.csv) e=$edges ;; *) e=$((nodes + edges)) ;; esac
  printf '%-16s %10s %10s %9.1f %14.0f %12.1f %6s -> %s\n' "$f" "$nodes" "$edges" "$secs" \
    "$(awk -v e="$e" -v s="$secs" 'BEGIN{print e/s}')" "$(awk -v b="$size" 'BEGIN{print b/1048576}')" "$before" "$peak"
  kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""
done
