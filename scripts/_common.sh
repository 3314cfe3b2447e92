# shellcheck shell=bash
# Shared settings and helpers for scripts/*.sh. Sourced, never executed.
# Variables set here are used by the sourcing scripts:
# shellcheck disable=SC2034

# Resolve the repo root from this file's location so callers work from any cwd.
RG_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"

REDIS_PORT="${RG_REDIS_PORT:-6479}"
# A cache's Redis is bounded: past REDIS_MAXMEMORY it evicts, and volatile-lfu evicts only keys with an expiry (cache
# entries and their markers), never the refresh modes' streams, sets and watermark, which have none (README "Memory").
REDIS_MAXMEMORY="${RG_REDIS_MAXMEMORY:-256mb}"
REDIS_EVICTION="${RG_REDIS_EVICTION:-volatile-lfu}"
PG_PORT="${RG_PG_PORT:-5479}"

DATA_DIR="$RG_ROOT/.data"
LOG_DIR="$DATA_DIR/log"
REDIS_DIR="$DATA_DIR/redis"
REDIS_PID="$REDIS_DIR/redis.pid"
REDIS_LOG="$LOG_DIR/redis.log"

# Used when the postgres user cannot reach .data/ (e.g. a clone under a mode-700
# mktemp dir). Hashing the repo path keeps parallel clones apart.
PG_FALLBACK_DIR="/var/tmp/ranking-gateway-pg-$(printf '%s' "$RG_ROOT" | sha256sum | cut -c1-10)"

PG_DB=ranking
PG_USER=ranking
PG_PASSWORD=ranking
PG_CONN="Host=127.0.0.1;Port=$PG_PORT;Database=$PG_DB;Username=$PG_USER;Password=$PG_PASSWORD;Maximum Pool Size=50"
REDIS_CONN="127.0.0.1:$REDIS_PORT"

# The local Redis Cluster (services-up.sh --redis-cluster): three masters on ports CLUSTER_PORT.., their replicas
# (--replicas) on the next three. 1000 above the standalone port by default, so every RG_REDIS_PORT gets a range of its
# own (the cluster bus listens 10000 higher still). RG_REDIS_CLUSTER_PORT overrides it.
CLUSTER_PORT="${RG_REDIS_CLUSTER_PORT:-$((REDIS_PORT + 1000))}"
CLUSTER_DIR="$DATA_DIR/redis-cluster"
CLUSTER_MASTERS=3
CLUSTER_CONN="127.0.0.1:$CLUSTER_PORT,127.0.0.1:$((CLUSTER_PORT + 1)),127.0.0.1:$((CLUSTER_PORT + 2))"

if [ "$(id -u)" -eq 0 ]; then IS_ROOT=1; else IS_ROOT=0; fi

info() { printf '%s\n' "$*"; }
warn() { printf 'WARNING: %s\n' "$*" >&2; }
die() { printf 'ERROR: %s\n' "$*" >&2; exit 1; }

check_port_var() {
  case "$2" in
    '' | *[!0-9]*) die "$1='$2' is not a port number" ;;
  esac
}
check_port_var RG_REDIS_PORT "$REDIS_PORT"
check_port_var RG_PG_PORT "$PG_PORT"
check_port_var RG_REDIS_CLUSTER_PORT "$CLUSTER_PORT"

# PostgreSQL binaries: pg_config knows the installed major version; fall back to
# the newest /usr/lib/postgresql/*/bin. RG_PG_BIN overrides both.
find_pg_bin() {
  local dir=""
  if [ -n "${RG_PG_BIN:-}" ]; then
    dir="$RG_PG_BIN"
  elif command -v pg_config >/dev/null 2>&1; then
    dir="$(pg_config --bindir)"
  fi
  if [ -z "$dir" ] || [ ! -x "$dir/pg_ctl" ]; then
    dir="$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin -type d 2>/dev/null | sort -V | tail -n 1)"
  fi
  if [ -z "$dir" ] || [ ! -x "$dir/pg_ctl" ] || [ ! -x "$dir/initdb" ]; then
    die "PostgreSQL server binaries (initdb, pg_ctl) not found; install postgresql or set RG_PG_BIN"
  fi
  PG_BIN="$dir"
}

# PostgreSQL refuses to run as root, so root delegates to the postgres user;
# anyone else runs it as themselves. cd / avoids "could not change directory"
# noise when the caller's cwd is unreadable for postgres.
as_pg() {
  if [ "$IS_ROOT" -eq 1 ]; then
    (cd / && runuser -u postgres -- "$@")
  else
    "$@"
  fi
}

# Decide where the cluster lives; sets PG_DIR, PG_LOG and PG_RELOCATED_WHY
# (non-empty when relocated to $PG_FALLBACK_DIR). An existing cluster wins, so
# the choice stays stable across runs.
resolve_pg_dir() {
  local local_dir="$DATA_DIR/pg"
  PG_RELOCATED_WHY=""
  if [ -f "$local_dir/PG_VERSION" ]; then
    PG_DIR="$local_dir"
  elif [ -f "$PG_FALLBACK_DIR/PG_VERSION" ]; then
    PG_DIR="$PG_FALLBACK_DIR"
    PG_RELOCATED_WHY="existing cluster"
  elif [ "$IS_ROOT" -eq 1 ] && [ -d "$LOG_DIR" ] &&
    ! runuser -u postgres -- test -x "$LOG_DIR" 2>/dev/null; then
    PG_DIR="$PG_FALLBACK_DIR"
    PG_RELOCATED_WHY="the postgres user cannot traverse $RG_ROOT/.data"
  elif [ "${#local_dir}" -gt 90 ]; then
    # A unix socket path is limited to ~107 bytes; the socket lives in the cluster dir.
    PG_DIR="$PG_FALLBACK_DIR"
    PG_RELOCATED_WHY="the repo path is too long for a PostgreSQL unix socket"
  else
    PG_DIR="$local_dir"
  fi
  if [ "$PG_DIR" = "$local_dir" ]; then
    PG_LOG="$LOG_DIR/postgres.log"
  else
    # postgres cannot write to .data/log in this case; keep the log with the cluster.
    PG_LOG="$PG_DIR/log/postgres.log"
  fi
}

# True when something accepts TCP connections on 127.0.0.1:$1.
port_in_use() {
  (: <"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# A port nothing uses, below the kernel's ephemeral range: a port picked inside
# it can be taken by an outgoing connection before the server binds (CI saw a
# test server fail with EADDRINUSE that way).
free_port() {
  local low port
  low="$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)"
  while :; do
    port=$((10000 + RANDOM % (low - 10000)))
    port_in_use "$port" && continue
    [ -n "$(ss -Htan "sport = :$port" 2>/dev/null)" ] && continue
    echo "$port"
    return
  done
}

# True while process $1 exists and is not a zombie (a container's PID 1 may be
# slow to reap daemons that were reparented to it).
pid_alive() {
  local state
  state="$(sed -n 's/^.*) \(.\).*$/\1/p' "/proc/$1/stat" 2>/dev/null)" || return 1
  [ -n "$state" ] && [ "$state" != Z ]
}

# Prints the pid from a pidfile when that process is alive and is named $2.
live_pid() {
  local pidfile="$1" name="$2" pid
  [ -s "$pidfile" ] || return 1
  pid="$(head -n 1 "$pidfile")"
  case "$pid" in '' | *[!0-9]*) return 1 ;; esac
  # Guard against pid reuse after a crash or reboot.
  pid_alive "$pid" && grep -q "^$name" "/proc/$pid/comm" 2>/dev/null || return 1
  printf '%s\n' "$pid"
}

# Pid of the Redis answering on $REDIS_PORT (empty if none). Bounded so a
# foreign, silent server on the port cannot hang us.
redis_pid_on_port() {
  timeout 3 redis-cli -p "$REDIS_PORT" info server 2>/dev/null |
    sed -n 's/^process_id:\([0-9][0-9]*\).*/\1/p' || true
}

# Nanosecond clock -> "1.234s" elapsed since $1.
elapsed_since() {
  local ms=$((($(date +%s%N) - $1) / 1000000))
  printf '%d.%03ds' $((ms / 1000)) $((ms % 1000))
}

# Exported for the app, tests and load runners, so non-default ports propagate.
# The gateway and the tests read these (ASP.NET Core maps __ to :), so
# non-default ports reach them without editing appsettings.json.
# With RG_REDIS_CLUSTER=1 (the scripts' --redis-cluster flag sets it), Redis means the local cluster.
export_connection_env() {
  if [ "${RG_REDIS_CLUSTER:-0}" = 1 ]; then
    export ConnectionStrings__Redis="$CLUSTER_CONN"
  else
    export ConnectionStrings__Redis="$REDIS_CONN"
  fi
  export ConnectionStrings__Postgres="$PG_CONN"
}

# Cluster node $1 (0-based): its port, folder, pidfile.
cluster_node_port() { printf '%s\n' $((CLUSTER_PORT + $1)); }
cluster_node_dir() { printf '%s\n' "$CLUSTER_DIR/$(cluster_node_port "$1")"; }
cluster_node_pid() { live_pid "$(cluster_node_dir "$1")/redis.pid" redis-server; }
