#!/usr/bin/env bash
# Local Neo4j Community (embedded, from Maven Central) for development, tests and CI.
#
#   scripts/neo4j.sh build                      build neo4j/ (Maven) if missing or stale
#   scripts/neo4j.sh start  [--port N] [--data DIR] [--password PW] [--pid-file F]
#   scripts/neo4j.sh stop   [--data DIR] [--pid-file F]
#   scripts/neo4j.sh status [--data DIR] [--pid-file F]     exit 0 running, 3 not running
#   scripts/neo4j.sh reset  [--data DIR]                    stop, then delete the data directory
#   scripts/neo4j.sh import [--data DIR] --csv CSV_DIR      offline first load: replace the graph of DIR
#                                                           with CSV_DIR (written by neo4jstore.CSVWriter,
#                                                           e.g. synth -admin-import), Neo4j stopped
#
# Options default to the environment, then to built-in defaults:
#   NEO4J_BOLT_PORT      7687             Bolt port, bound on 127.0.0.1 only
#   NEO4J_DATA_DIR       .neo4j-data      data directory (store, logs/, launcher.log)
#   NEO4J_PASSWORD       policygraph      password of user neo4j (min. 8 characters)
#   NEO4J_PID_FILE       <data>/launcher.pid
#   NEO4J_HEAP           1g               JVM heap (-Xms/-Xmx)
#   NEO4J_PAGECACHE_MB   512              Neo4j page cache
#   NEO4J_JAVA_OPTS      (empty)          extra JVM options, appended
#   NEO4J_START_TIMEOUT  90               seconds to wait for Bolt
#   NEO4J_IMPORT_JAVA_OPTS (empty)        JVM options of the offline importer (import)
# Logs: <data>/launcher.log (launcher stdout/stderr) and <data>/logs/debug.log (Neo4j).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PROJECT="$ROOT/neo4j"
JAR="$PROJECT/target/policygraph-neo4j.jar"

die() { echo "policygraph: $*" >&2; exit 1; }
say() { echo "policygraph: $*" >&2; }

need_java() {
  command -v java >/dev/null 2>&1 ||
    die "java (JDK 17+) not found: install openjdk-17-jdk-headless (apt-get install -y openjdk-17-jdk-headless)"
  local v
  v="$(java -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')"
  [[ "${v%%.*}" =~ ^[0-9]+$ ]] && (( ${v%%.*} >= 17 )) ||
    die "java ${v:-?} found but Neo4j 5.26 needs Java 17 or 21: install openjdk-17-jdk-headless"
}

# Rebuild when the jar is missing or older than pom.xml or any source file.
stale() {
  [[ -f "$JAR" && -d "$PROJECT/target/lib" ]] || return 0
  [[ -n "$(find "$PROJECT/pom.xml" "$PROJECT/src" -newer "$JAR" -print -quit)" ]]
}

build() {
  need_java
  stale || return 0
  command -v mvn >/dev/null 2>&1 ||
    die "mvn (Maven 3.8+) not found: install maven (apt-get install -y maven)"
  mkdir -p "$PROJECT/target"
  (
    # One build at a time (parallel `make test`s); the loser re-checks staleness.
    if command -v flock >/dev/null 2>&1; then flock 9; fi
    stale || exit 0
    say "building the Neo4j launcher (neo4j/, first time downloads ~130 MB from Maven Central)..."
    local log="$PROJECT/target/build.log" t0=$SECONDS
    if ! mvn -B -q -Dstyle.color=never -f "$PROJECT/pom.xml" package >"$log" 2>&1; then
      tail -n 40 "$log" >&2
      die "building the Neo4j launcher failed (full log: $log)"
    fi
    touch "$JAR"
    say "Neo4j launcher built in $((SECONDS - t0)) s"
  ) 9>"$PROJECT/target/.build.lock"
}

PORT="${NEO4J_BOLT_PORT:-7687}"
DATA="${NEO4J_DATA_DIR:-$ROOT/.neo4j-data}"
PASSWORD="${NEO4J_PASSWORD:-policygraph}"
PIDFILE="${NEO4J_PID_FILE:-}"
CSV=""

parse() {
  while (($#)); do
    case "$1" in
      --port) PORT="$2"; shift 2 ;;
      --data) DATA="$2"; shift 2 ;;
      --password) PASSWORD="$2"; shift 2 ;;
      --pid-file) PIDFILE="$2"; shift 2 ;;
      --csv) CSV="$2"; shift 2 ;;
      *) die "unknown option $1 (see the top of scripts/neo4j.sh)" ;;
    esac
  done
  [[ "$PORT" =~ ^[0-9]+$ ]] && ((PORT > 0 && PORT < 65536)) || die "bad Bolt port '$PORT'"
  [[ "$cmd" != start && "$cmd" != import ]] || mkdir -p "$DATA"
  if [[ -d "$DATA" ]]; then DATA="$(cd "$DATA" && pwd)"; fi
  PIDFILE="${PIDFILE:-$DATA/launcher.pid}"
}

# The pid in the pid file, if that process is alive and is our launcher (not a reused pid).
running_pid() {
  [[ -f "$PIDFILE" ]] || return 1
  local pid
  pid="$(tr -dc '0-9' <"$PIDFILE")"
  [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null || return 1
  local cmdline
  cmdline="$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null || true)"
  [[ "$cmdline" == *policygraph-neo4j.jar* ]] || return 1
  echo "$pid"
}

bolt_answers() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

show_logs() {
  echo "---- $DATA/launcher.log (tail) ----" >&2
  tail -n 12 "$DATA/launcher.log" >&2 2>/dev/null || true
  if [[ -f "$DATA/logs/debug.log" ]]; then
    echo "---- $DATA/logs/debug.log (errors, tail) ----" >&2
    grep -E ' ERROR ' "$DATA/logs/debug.log" | tail -n 10 >&2 || true
  fi
}

start() {
  build
  local pid
  if pid="$(running_pid)"; then
    local was
    was="$(cat "$DATA/launcher.port" 2>/dev/null || true)"
    [[ -z "$was" || "$was" == "$PORT" ]] ||
      die "Neo4j for $DATA already runs on port $was, not $PORT: stop it first (make neo4j-stop)"
    say "Neo4j already running (pid $pid, port ${was:-?}, data $DATA), reusing it"
    return 0
  fi
  if bolt_answers "$PORT"; then
    die "port $PORT is already in use on 127.0.0.1 (another Neo4j?): stop it or set NEO4J_BOLT_PORT"
  fi
  local ready="$DATA/launcher.ready" t0=$SECONDS timeout="${NEO4J_START_TIMEOUT:-90}"
  local heap="${NEO4J_HEAP:-1g}"
  rm -f "$ready"
  echo "$PORT" >"$DATA/launcher.port"
  # JVM options as Neo4j's own start script passes them on Java 17 (minus AlwaysPreTouch,
  # which only slows start-up at this heap size).
  local opts=(
    "-Xms$heap" "-Xmx$heap" -XX:+UseG1GC -XX:-OmitStackTraceInFastThrow
    -XX:+UnlockExperimentalVMOptions -XX:+TrustFinalNonStaticFields -XX:+DisableExplicitGC
    -Djdk.nio.maxCachedBufferSize=1024 -Dio.netty.tryReflectionSetAccessible=true
    -Dlog4j2.disable.jmx=true -Dfile.encoding=UTF-8
    --add-opens=java.base/java.nio=ALL-UNNAMED --add-opens=java.base/java.io=ALL-UNNAMED
    --add-opens=java.base/sun.nio.ch=ALL-UNNAMED
  )
  # shellcheck disable=SC2206
  opts+=(${NEO4J_JAVA_OPTS:-})
  local setsid=()
  command -v setsid >/dev/null 2>&1 && setsid=(setsid) # own session: a Ctrl-C is ours to relay
  {
    echo "==== $(date -u '+%Y-%m-%dT%H:%M:%SZ') start: port $PORT, heap $heap, page cache ${NEO4J_PAGECACHE_MB:-512} MB"
  } >>"$DATA/launcher.log"
  rm -f "$PIDFILE"
  # The inner shell writes its own pid, then becomes java (setsid may fork, so $! is not it).
  # The password goes through the environment, not the command line (visible in ps).
  POLICYGRAPH_NEO4J_PASSWORD="$PASSWORD" "${setsid[@]}" bash -c 'echo $$ >"$0" && exec "$@"' \
    "$PIDFILE" java "${opts[@]}" -jar "$JAR" --data "$DATA" --port "$PORT" \
    --pagecache-mb "${NEO4J_PAGECACHE_MB:-512}" --ready-file "$ready" \
    </dev/null >>"$DATA/launcher.log" 2>&1 &
  local i
  for ((i = 0; i < 100; i++)); do
    [[ -s "$PIDFILE" ]] && break
    sleep 0.05
  done
  pid="$(tr -dc '0-9' <"$PIDFILE" 2>/dev/null || true)"
  [[ -n "$pid" ]] || { show_logs; die "Neo4j launcher did not start (logs above)"; }
  while :; do
    if ! kill -0 "$pid" 2>/dev/null; then
      rm -f "$PIDFILE"
      show_logs
      local why
      why="$(grep -h 'policygraph-neo4j: failed' "$DATA/launcher.log" | tail -n 1 | sed 's/^policygraph-neo4j: failed: //' || true)"
      die "Neo4j exited during start-up${why:+: $why} (logs above; data dir $DATA)"
    fi
    if [[ -f "$ready" ]] && bolt_answers "$PORT"; then break; fi
    if ((SECONDS - t0 >= timeout)); then
      show_logs
      stop_pid "$pid"
      rm -f "$PIDFILE"
      die "Neo4j did not answer on 127.0.0.1:$PORT within ${timeout}s (logs above; data dir $DATA)"
    fi
    sleep 0.2
  done
  say "Neo4j $(neo4j_version) ready on bolt://127.0.0.1:$PORT in $((SECONDS - t0)) s (pid $pid, user neo4j, data $DATA)"
}

neo4j_version() { ls "$PROJECT/target/lib" | sed -n 's/^neo4j-kernel-\([0-9.]*\)\.jar$/\1/p' | head -n 1; }

stop_pid() {
  local pid="$1" i
  kill -TERM "$pid" 2>/dev/null || return 0
  for ((i = 0; i < 600; i++)); do # up to 60 s for a clean shutdown (checkpoint)
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  say "Neo4j (pid $pid) did not stop within 60 s, killing it"
  kill -KILL "$pid" 2>/dev/null || true
}

stop() {
  local pid
  if ! pid="$(running_pid)"; then
    rm -f "$PIDFILE"
    say "Neo4j not running (pid file $PIDFILE)"
    return 0
  fi
  stop_pid "$pid"
  rm -f "$PIDFILE" "$DATA/launcher.ready" "$DATA/launcher.port"
  say "Neo4j stopped (pid $pid)"
}

# Stop, then delete the data directory, if it looks like one of ours.
reset() {
  stop
  [[ -d "$DATA" ]] || return 0
  if [[ -e "$DATA/launcher.log" || -d "$DATA/data/databases" || -z "$(ls -A "$DATA")" ]]; then
    rm -rf "$DATA"
    say "deleted $DATA"
  else
    die "$DATA does not look like a Neo4j data directory made by scripts/neo4j.sh: not deleting it"
  fi
}

status() {
  local pid
  if pid="$(running_pid)"; then
    echo "policygraph: Neo4j running on bolt://127.0.0.1:$(cat "$DATA/launcher.port" 2>/dev/null || echo "?") (pid $pid, data $DATA)"
  else
    echo "policygraph: Neo4j not running (pid file $PIDFILE)"
    return 3
  fi
}

# Replace the graph of the data directory with the CSV files of a neo4jstore.CSVWriter (the
# arguments are in CSV_DIR/import.args), with Neo4j's offline importer (neo4j-admin database
# import full, from the launcher's own Maven artifacts). The embedded DBMS's home is the data
# directory, so the store lands where start opens it. Then start, and run the store's
# FinishAdminImport (synth -admin-import does all of it).
import_csv() {
  build
  [[ -n "$CSV" && -f "$CSV/import.args" ]] ||
    die "import needs --csv DIR holding import.args (written by neo4jstore.CSVWriter, e.g. through synth -admin-import)"
  local pid
  if pid="$(running_pid)"; then
    die "Neo4j runs on $DATA (pid $pid): stop it first (the import replaces its graph, offline)"
  fi
  local args=() t0=$SECONDS log
  CSV="$(cd "$CSV" && pwd)"
  log="$CSV/import.log"
  mapfile -t args <"$CSV/import.args"
  say "importing $CSV into $DATA (neo4j-admin database import full)..."
  # shellcheck disable=SC2086 # the options are meant to split
  if ! (cd "$CSV" && NEO4J_HOME="$DATA" java ${NEO4J_IMPORT_JAVA_OPTS:-} -cp "$PROJECT/target/lib/*" \
    org.neo4j.cli.AdminTool database import full neo4j --overwrite-destination=true "${args[@]}") >"$log" 2>&1; then
    tail -n 30 "$log" >&2
    die "the import failed (full log: $log)"
  fi
  grep -E 'IMPORT DONE|^Imported:|^  [0-9]+ (nodes|relationships|properties)|Peak memory' "$log" | sed 's/^/policygraph:   /' >&2 || true
  say "imported in $((SECONDS - t0)) s (log: $log)"
}

cmd="${1:-}"
shift || true
case "$cmd" in
  build) build ;;
  start) parse "$@"; start ;;
  stop) parse "$@"; stop ;;
  status) parse "$@"; status ;;
  reset) parse "$@"; reset ;;
  import) parse "$@"; import_csv ;;
  *) echo "usage: scripts/neo4j.sh build|start|stop|status|reset|import [--port N] [--data DIR] [--password PW] [--pid-file F] [--csv DIR]" >&2; exit 2 ;;
esac
