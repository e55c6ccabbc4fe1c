#!/usr/bin/env bash
# make run: the server against a local Neo4j (started here unless NEO4J_URI points elsewhere).
#
#   NEO4J_URI        if set to anything but bolt://127.0.0.1:$NEO4J_BOLT_PORT (or localhost),
#                    that Neo4j is used as is and no local one is started
#   NEO4J_BOLT_PORT  7687            local Neo4j Bolt port
#   NEO4J_DATA_DIR   .neo4j-data     local Neo4j data (kept between runs; `make reset` deletes it)
#   NEO4J_PASSWORD   policygraph     password of user neo4j
# A local Neo4j that is already running (pid file alive) is reused and left running; one started
# here is stopped when the server exits (Ctrl-C included). Arguments go to `go run . serve`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

command -v go >/dev/null 2>&1 || { echo "policygraph: go not found: install Go 1.26+ (go.dev/dl)" >&2; exit 1; }

port="${NEO4J_BOLT_PORT:-7687}"
uri="${NEO4J_URI:-}"
if [[ -n "$uri" ]] && ! [[ "$uri" =~ ^(bolt|neo4j)://(127\.0\.0\.1|localhost)(:([0-9]+))?/?$ &&
  "${BASH_REMATCH[4]:-7687}" == "$port" ]]; then
  echo "policygraph: using NEO4J_URI=$uri (no local Neo4j started)" >&2
  exec go run . serve "$@"
fi

export NEO4J_BOLT_PORT="$port"
export NEO4J_DATA_DIR="${NEO4J_DATA_DIR:-.neo4j-data}"
export NEO4J_PASSWORD="${NEO4J_PASSWORD:-policygraph}"
started=0
cleanup() {
  if ((started)); then bash scripts/neo4j.sh stop || true; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP
if ! bash scripts/neo4j.sh status >/dev/null 2>&1; then started=1; fi
bash scripts/neo4j.sh start # when already running: reuses it (and checks the port)

export NEO4J_URI="bolt://127.0.0.1:$port"
export NEO4J_USER=neo4j
echo "policygraph: NEO4J_URI=$NEO4J_URI NEO4J_USER=neo4j; starting: go run . serve $*" >&2
go run . serve "$@"
