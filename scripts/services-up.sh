#!/usr/bin/env bash
# Start project-local Redis and PostgreSQL on 127.0.0.1 and prepare the
# "ranking" database. Idempotent: when everything is up it only checks.
#   RG_REDIS_PORT (default 6479), RG_PG_PORT (default 5479) pick the ports.
#   --redis-cluster: a local Redis Cluster of three masters instead of the single Redis, on
#     RG_REDIS_CLUSTER_PORT (default RG_REDIS_PORT + 1000) and the next two ports; the scripts' and tests'
#     ConnectionStrings:Redis then lists its nodes (export_connection_env with RG_REDIS_CLUSTER=1).
#   --replicas (with --redis-cluster): one replica per master, on the next three ports (six processes).
#   RG_REDIS_MAXMEMORY (default 256mb) and RG_REDIS_EVICTION (default volatile-lfu) bound every Redis started here
#   (applied to one already running too).
set -euo pipefail

# shellcheck source-path=SCRIPTDIR
# shellcheck source=_common.sh
source "$(dirname "${BASH_SOURCE[0]}")/_common.sh"

usage="usage: $0 [--redis-cluster [--replicas]]   (ports via RG_REDIS_PORT / RG_PG_PORT / RG_REDIS_CLUSTER_PORT)"
cluster=0
replicas=0
for arg in "$@"; do
  case "$arg" in
    --redis-cluster) cluster=1 ;;
    --replicas) replicas=1 ;;
    *) die "$usage" ;;
  esac
done
[ "$replicas" -eq 0 ] || [ "$cluster" -eq 1 ] || die "--replicas needs --redis-cluster; $usage"

mkdir -p "$LOG_DIR" "$REDIS_DIR"

# ---------------------------------------------------------------- Redis ----

ensure_redis_installed() {
  command -v redis-server >/dev/null 2>&1 && command -v redis-cli >/dev/null 2>&1 && return 0
  if [ "$IS_ROOT" -ne 1 ]; then
    die "redis-server is not installed. Install it with:
  sudo apt-get update && sudo apt-get install -y redis-server"
  fi
  info "Redis: redis-server not found, installing it with apt-get (quiet)..."
  # We start our own daemon below; the package's service is not used.
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null
}

start_redis() {
  local pid on_port
  if pid="$(live_pid "$REDIS_PID" redis-server)"; then
    on_port="$(redis_pid_on_port)"
    if [ "$on_port" = "$pid" ]; then
      info "Redis: already running (pid $pid, port $REDIS_PORT)"
      redis-cli -p "$REDIS_PORT" config set maxmemory "$REDIS_MAXMEMORY" >/dev/null
      redis-cli -p "$REDIS_PORT" config set maxmemory-policy "$REDIS_EVICTION" >/dev/null
      return 0
    fi
    # Its process title is "redis-server 127.0.0.1:PORT".
    on_port="$(tr '\0' ' ' <"/proc/$pid/cmdline" | sed -n 's/.*:\([0-9][0-9]*\).*/\1/p')"
    die "this repo's redis-server (pid $pid) is already running on port ${on_port:-?}, not $REDIS_PORT.
  Stop it first (scripts/services-down.sh), or unset/adjust RG_REDIS_PORT."
  fi
  if port_in_use "$REDIS_PORT"; then
    die "port $REDIS_PORT is already in use by another program (not this repo's Redis).
  Pick another port, e.g.: RG_REDIS_PORT=6579 $0"
  fi

  rm -f "$REDIS_PID"
  # Cache only: no RDB snapshots, no AOF, so nothing survives a restart.
  redis-server \
    --port "$REDIS_PORT" \
    --bind 127.0.0.1 \
    --dir "$REDIS_DIR" \
    --pidfile "$REDIS_PID" \
    --logfile "$REDIS_LOG" \
    --save "" \
    --appendonly no \
    --maxmemory "$REDIS_MAXMEMORY" \
    --maxmemory-policy "$REDIS_EVICTION" \
    --daemonize yes ||
    die "redis-server failed to start; see $REDIS_LOG"

  local i
  for ((i = 0; i < 100; i++)); do
    if [ "$(timeout 2 redis-cli -p "$REDIS_PORT" ping 2>/dev/null || true)" = PONG ]; then
      info "Redis: started on 127.0.0.1:$REDIS_PORT (log $REDIS_LOG)"
      return 0
    fi
    sleep 0.1
  done
  tail -n 20 "$REDIS_LOG" >&2 2>/dev/null || true
  die "Redis did not answer PING on port $REDIS_PORT within 10 s; log: $REDIS_LOG"
}

# -------------------------------------------------------- Redis Cluster ----

# Cluster node timeout: how long a master may be silent before the others call it failed (and, with replicas,
# promote its replica). The failover window clients see is about this plus an election (README "Redis Cluster").
CLUSTER_NODE_TIMEOUT_MS=3000

start_cluster_node() {
  local i="$1" port dir pid
  port="$(cluster_node_port "$i")"
  dir="$(cluster_node_dir "$i")"
  if pid="$(cluster_node_pid "$i")"; then
    [ "$(timeout 2 redis-cli -p "$port" ping 2>/dev/null || true)" = PONG ] ||
      die "this repo's cluster node (pid $pid) does not answer on port $port; scripts/services-down.sh stops it"
    return 0
  fi
  port_in_use "$port" && die "port $port is already in use by another program (not this repo's cluster node).
  Pick another range, e.g.: RG_REDIS_CLUSTER_PORT=7579 $0 --redis-cluster"
  mkdir -p "$dir"
  # Cache only, like the single Redis. nodes.conf (the node's identity and slots) stays in $dir, so a restart
  # rejoins the same cluster without running create again.
  redis-server \
    --port "$port" \
    --bind 127.0.0.1 \
    --dir "$dir" \
    --pidfile "$dir/redis.pid" \
    --logfile "$LOG_DIR/redis-cluster-$port.log" \
    --cluster-enabled yes \
    --cluster-config-file nodes.conf \
    --cluster-node-timeout "$CLUSTER_NODE_TIMEOUT_MS" \
    --cluster-require-full-coverage yes \
    --save "" \
    --appendonly no \
    --maxmemory "$REDIS_MAXMEMORY" \
    --maxmemory-policy "$REDIS_EVICTION" \
    --repl-diskless-sync-delay 0 \
    --daemonize yes ||
    die "cluster node on port $port failed to start; see $LOG_DIR/redis-cluster-$port.log"
  STARTED_NODES=$((STARTED_NODES + 1))
}

cluster_field() { # node port, CLUSTER INFO field
  timeout 2 redis-cli -p "$1" cluster info 2>/dev/null | tr -d '\r' | sed -n "s/^$2:\(.*\)$/\1/p"
}

# True when every node sees a healthy cluster of $1 nodes and every replica is in sync.
cluster_ready() {
  local n="$1" i port
  for ((i = 0; i < n; i++)); do
    port="$(cluster_node_port "$i")"
    [ "$(cluster_field "$port" cluster_state)" = ok ] || return 1
    [ "$(cluster_field "$port" cluster_known_nodes)" = "$n" ] || return 1
    # A replica stands in for its master only once it has synced.
    if timeout 2 redis-cli -p "$port" info replication 2>/dev/null | grep -q '^role:slave'; then
      timeout 2 redis-cli -p "$port" info replication 2>/dev/null | grep -q '^master_link_status:up' || return 1
    fi
  done
}

start_cluster() {
  local n=$CLUSTER_MASTERS i known addrs=()
  [ "$replicas" -eq 1 ] && n=$((CLUSTER_MASTERS * 2))
  # A running cluster of another shape is not silently reshaped.
  known="$(cluster_field "$(cluster_node_port 0)" cluster_known_nodes || true)"
  if [ -n "$known" ] && [ "$known" -gt 1 ] && [ "$known" -ne "$n" ]; then
    die "the local cluster has $known nodes, $n asked for; stop it and drop its nodes.conf files first:
  scripts/services-down.sh && rm -rf '$CLUSTER_DIR'"
  fi

  STARTED_NODES=0
  for ((i = 0; i < n; i++)); do
    start_cluster_node "$i"
    addrs+=("127.0.0.1:$(cluster_node_port "$i")")
  done
  for ((i = 0; i < n; i++)); do
    local port tries=0
    port="$(cluster_node_port "$i")"
    until [ "$(timeout 2 redis-cli -p "$port" ping 2>/dev/null || true)" = PONG ]; do
      tries=$((tries + 1))
      [ "$tries" -lt 100 ] || die "cluster node $port did not answer PING within 10 s; log: $LOG_DIR/redis-cluster-$port.log"
      sleep 0.1
    done
  done

  # Fresh nodes (no slots anywhere) are made into a cluster; nodes restarted from their nodes.conf rejoin by themselves.
  if [ "$(cluster_field "$(cluster_node_port 0)" cluster_slots_assigned)" = 0 ]; then
    info "Redis Cluster: creating it ($CLUSTER_MASTERS masters$([ "$replicas" -eq 1 ] && printf ', one replica each'))"
    redis-cli --cluster create "${addrs[@]}" --cluster-replicas "$replicas" --cluster-yes >"$LOG_DIR/redis-cluster-create.log" 2>&1 ||
      { tail -n 20 "$LOG_DIR/redis-cluster-create.log" >&2; die "redis-cli --cluster create failed"; }
  fi

  local deadline=$((SECONDS + 30))
  until cluster_ready "$n"; do
    [ "$SECONDS" -lt "$deadline" ] || die "the Redis Cluster on ports $CLUSTER_PORT.. is not ok within 30 s; logs: $LOG_DIR/redis-cluster-*.log"
    sleep 0.2
  done
  if [ "$STARTED_NODES" -eq 0 ]; then
    info "Redis Cluster: already running ($n nodes from port $CLUSTER_PORT)"
  else
    info "Redis Cluster: $n nodes up from port $CLUSTER_PORT (data $CLUSTER_DIR)"
  fi
}

# ----------------------------------------------------------- PostgreSQL ----

# Settings are kept in their own file, included from postgresql.conf, so they
# can be rewritten without touching initdb's defaults.
pg_settings() {
  local sock="${PG_DIR//\'/\'\'}"
  cat <<EOF
# Written by scripts/services-up.sh on every start; local edits are overwritten.
listen_addresses = '127.0.0.1'
port = $PG_PORT
# Socket in the cluster dir: no clash with a system cluster in /var/run/postgresql.
unix_socket_directories = '$sock'
max_connections = 300
shared_preload_libraries = 'pg_stat_statements'
pg_stat_statements.track = all
# Queue mode's change stream (Ranking:Refresh:Changes = Replication) reads a logical replication slot.
wal_level = logical
max_replication_slots = 20
max_wal_senders = 20
# Disposable dev/test cluster: durability is traded for speed. A crash can
# corrupt it; recreate it with services-down.sh --purge && services-up.sh.
fsync = off
synchronous_commit = off
full_page_writes = off
EOF
}

init_pg_cluster() {
  if [ -n "$PG_RELOCATED_WHY" ]; then
    info "PostgreSQL: $PG_RELOCATED_WHY; putting the cluster in $PG_DIR instead."
  fi
  if [ -d "$PG_DIR" ] && [ -n "$(ls -A "$PG_DIR" 2>/dev/null)" ]; then
    die "$PG_DIR exists but holds no cluster (PG_VERSION missing); remove it or run scripts/services-down.sh --purge"
  fi
  mkdir -p "$PG_DIR"
  chmod 700 "$PG_DIR"
  if [ "$IS_ROOT" -eq 1 ]; then
    chown postgres:postgres "$PG_DIR"
  fi

  info "PostgreSQL: initializing cluster in $PG_DIR ..."
  local out
  # Superuser "postgres" regardless of the OS user; C locale keeps text
  # ordering (tie-breaks on user_id) byte-wise and identical on every machine.
  if ! out="$(as_pg "$PG_BIN/initdb" -D "$PG_DIR" --username=postgres \
    --encoding=UTF8 --locale=C --auth-local=trust --auth-host=scram-sha-256 \
    --no-sync --no-instructions 2>&1)"; then
    printf '%s\n' "$out" >&2
    die "initdb failed for $PG_DIR"
  fi
}

start_pg() {
  if [ -f "$PG_DIR/postmaster.pid" ] && as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR" status >/dev/null 2>&1; then
    local pid port
    pid="$(sed -n 1p "$PG_DIR/postmaster.pid")"
    port="$(sed -n 4p "$PG_DIR/postmaster.pid")"
    if [ "$port" != "$PG_PORT" ]; then
      die "this repo's PostgreSQL (pid $pid) is already running on port $port, not $PG_PORT.
  Stop it first (scripts/services-down.sh), or unset/adjust RG_PG_PORT."
    fi
    if [ "$(cat "$PG_DIR/ranking-gateway.conf" 2>/dev/null)" != "$(pg_settings)" ]; then
      warn "PostgreSQL settings changed; restart to apply: scripts/services-down.sh && scripts/services-up.sh"
    fi
    info "PostgreSQL: already running (pid $pid, port $PG_PORT, data $PG_DIR)"
    return 0
  fi
  if port_in_use "$PG_PORT"; then
    die "port $PG_PORT is already in use by another program (not this repo's PostgreSQL).
  Pick another port, e.g.: RG_PG_PORT=5579 $0"
  fi

  [ -f "$PG_DIR/PG_VERSION" ] || init_pg_cluster

  # Written through as_pg so the files belong to the cluster owner.
  if [ "$(cat "$PG_DIR/ranking-gateway.conf" 2>/dev/null)" != "$(pg_settings)" ]; then
    pg_settings | as_pg tee "$PG_DIR/ranking-gateway.conf" >/dev/null
  fi
  if ! grep -q "^include = 'ranking-gateway.conf'" "$PG_DIR/postgresql.conf"; then
    echo "include = 'ranking-gateway.conf'" | as_pg tee -a "$PG_DIR/postgresql.conf" >/dev/null
  fi

  # pg_ctl opens the log as the cluster owner, so it must own the file.
  as_pg mkdir -p "$(dirname "$PG_LOG")"
  if [ ! -e "$PG_LOG" ]; then
    touch "$PG_LOG"
    if [ "$IS_ROOT" -eq 1 ]; then chown postgres:postgres "$PG_LOG"; fi
  fi

  if ! as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR" -l "$PG_LOG" -w -t 30 start >/dev/null; then
    tail -n 20 "$PG_LOG" >&2 2>/dev/null || true
    die "PostgreSQL failed to start; log: $PG_LOG"
  fi
  info "PostgreSQL: started on 127.0.0.1:$PG_PORT (data $PG_DIR, log $PG_LOG)"
}

# Role, database and extensions, all guarded so a re-run changes nothing.
prepare_db() {
  # As superuser over the cluster's unix socket (trust auth).
  PGOPTIONS='-c client_min_messages=warning' "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 \
    -h "$PG_DIR" -p "$PG_PORT" -U postgres -d postgres <<'SQL'
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'ranking') THEN
    CREATE ROLE ranking LOGIN CREATEDB PASSWORD 'ranking';
  ELSIF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'ranking' AND rolcanlogin AND rolcreatedb) THEN
    ALTER ROLE ranking LOGIN CREATEDB;
  END IF;
END
$$;
-- Lets tests read every session's pg_stat_statements/pg_stat_activity rows and cancel/terminate backends.
GRANT pg_read_all_stats, pg_signal_backend TO ranking;
-- Queue mode's change stream opens a logical replication connection (README "The change stream").
ALTER ROLE ranking REPLICATION;
-- A role without that privilege, for the tests of the stream's fallback to polling.
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'ranking_noreplication') THEN
    CREATE ROLE ranking_noreplication LOGIN NOREPLICATION PASSWORD 'ranking';
  END IF;
END
$$;

-- Databases that tests create are copied from template1, so they get the extension too.
\connect template1
CREATE EXTENSION IF NOT EXISTS pg_stat_statements;
-- Lets tests reset the statistics between cases (superuser-only by default).
GRANT EXECUTE ON FUNCTION pg_stat_statements_reset TO ranking;

\connect postgres
SELECT 'CREATE DATABASE ranking OWNER ranking'
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'ranking') \gexec

\connect ranking
CREATE EXTENSION IF NOT EXISTS pg_stat_statements;
GRANT EXECUTE ON FUNCTION pg_stat_statements_reset TO ranking;
SQL

  # Schema as the application role, over TCP like the app connects.
  PGPASSWORD="$PG_PASSWORD" PGOPTIONS='-c client_min_messages=warning' \
    "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 \
    -h 127.0.0.1 -p "$PG_PORT" -U "$PG_USER" -d "$PG_DB" -f "$RG_ROOT/db/schema.sql"
}

# ------------------------------------------------------------------ main ----

if [ "$IS_ROOT" -eq 1 ] && ! id postgres >/dev/null 2>&1; then
  die "running as root but there is no 'postgres' user to run PostgreSQL as"
fi
find_pg_bin
resolve_pg_dir

ensure_redis_installed
if [ "$cluster" -eq 1 ]; then
  start_cluster
else
  start_redis
fi
start_pg
prepare_db

if [ "$cluster" -eq 1 ]; then
  info "Redis: $CLUSTER_CONN (cluster)"
else
  info "Redis: $REDIS_CONN"
fi
info "Postgres: $PG_CONN"
