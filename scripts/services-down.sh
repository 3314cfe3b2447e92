#!/usr/bin/env bash
# Stop the project-local Redis (single and cluster) and PostgreSQL started by services-up.sh.
# Harmless when they are not running. --purge also deletes their data.
set -euo pipefail

# shellcheck source-path=SCRIPTDIR
# shellcheck source=_common.sh
source "$(dirname "${BASH_SOURCE[0]}")/_common.sh"

purge=0
case "${1:-}" in
  '') ;;
  --purge) purge=1 ;;
  *) die "usage: $0 [--purge]" ;;
esac
[ $# -le 1 ] || die "usage: $0 [--purge]"

failed=0

stop_redis() {
  local pid i
  if ! pid="$(live_pid "$REDIS_PID" redis-server)"; then
    info "Redis: not running"
    rm -f "$REDIS_PID"
    return 0
  fi
  # Prefer a clean SHUTDOWN NOSAVE; fall back to SIGTERM if it runs on another port.
  if [ "$(redis_pid_on_port)" = "$pid" ]; then
    timeout 5 redis-cli -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true
  else
    kill -TERM "$pid" 2>/dev/null || true
  fi
  for ((i = 0; i < 100; i++)); do
    if ! pid_alive "$pid"; then
      rm -f "$REDIS_PID"
      info "Redis: stopped (pid $pid)"
      return 0
    fi
    sleep 0.1
  done
  warn "Redis (pid $pid) did not stop within 10 s"
  failed=1
}

# Every node of the local Redis Cluster that runs, whatever its shape.
stop_redis_cluster() {
  local dir pid port i stopped=0
  for dir in "$CLUSTER_DIR"/*/; do
    [ -d "$dir" ] || continue
    pid="$(live_pid "$dir/redis.pid" redis-server)" || continue
    port="$(basename "$dir")"
    timeout 5 redis-cli -p "$port" shutdown nosave >/dev/null 2>&1 || kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 100; i++)); do
      pid_alive "$pid" || break
      sleep 0.1
    done
    if pid_alive "$pid"; then
      warn "Redis Cluster node $port (pid $pid) did not stop within 10 s"
      failed=1
    else
      rm -f "$dir/redis.pid"
      stopped=$((stopped + 1))
    fi
  done
  [ "$stopped" -eq 0 ] || info "Redis Cluster: stopped $stopped nodes"
}

stop_pg_cluster() {
  local dir="$1"
  [ -f "$dir/PG_VERSION" ] || return 0
  if [ ! -f "$dir/postmaster.pid" ] || ! as_pg "$PG_BIN/pg_ctl" -D "$dir" status >/dev/null 2>&1; then
    info "PostgreSQL: not running ($dir)"
    return 0
  fi
  if as_pg "$PG_BIN/pg_ctl" -D "$dir" -m fast -w -t 30 stop >/dev/null; then
    info "PostgreSQL: stopped ($dir)"
  else
    warn "PostgreSQL in $dir did not stop"
    failed=1
  fi
}

stop_redis
stop_redis_cluster

# Check both possible cluster locations (see resolve_pg_dir in _common.sh).
if [ -f "$DATA_DIR/pg/PG_VERSION" ] || [ -f "$PG_FALLBACK_DIR/PG_VERSION" ]; then
  find_pg_bin
  stop_pg_cluster "$DATA_DIR/pg"
  stop_pg_cluster "$PG_FALLBACK_DIR"
else
  info "PostgreSQL: not running (no cluster)"
fi

[ "$failed" -eq 0 ] || die "some services did not stop; not purging"

if [ "$purge" -eq 1 ]; then
  rm -rf -- "$DATA_DIR"
  info "Purged $DATA_DIR"
  if [ -d "$PG_FALLBACK_DIR" ]; then
    rm -rf -- "$PG_FALLBACK_DIR"
    info "Purged $PG_FALLBACK_DIR"
  fi
fi
