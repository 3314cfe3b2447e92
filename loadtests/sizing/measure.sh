#!/usr/bin/env bash
# Measures what one answer costs Redis (issue 12's sizing): one gateway on the project's Redis and PostgreSQL
# (scripts/services-up.sh; with --redis-cluster, the local cluster), G groups of 100 users, each read once per phase,
# one after another. Per phase: INFO commandstats deltas summed over every master (CONFIG RESETSTAT first), so
# commands run inside a Lua script count under their own names too. Then MEMORY USAGE of the entry keys.
#   loadtests/sizing/measure.sh [--redis-cluster]      (G=200 by default; RG_SIZING_GROUPS overrides)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/_common.sh"
cd "$RG_ROOT"
[ "${1:-}" != --redis-cluster ] || export RG_REDIS_CLUSTER=1
export_connection_env
find_pg_bin

groups="${RG_SIZING_GROUPS:-200}"
port=$((REDIS_PORT + 12000))
prefix="sizing$$:"
fresh=45
if [ "${RG_REDIS_CLUSTER:-0}" = 1 ]; then
  nodes=("$CLUSTER_PORT" $((CLUSTER_PORT + 1)) $((CLUSTER_PORT + 2)))
else
  nodes=("$REDIS_PORT")
fi
psql_app() { PGPASSWORD="$PG_PASSWORD" "$PG_BIN/psql" -X -q -tA -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" -U "$PG_USER" -d "$PG_DB" "$@"; }
psql_app -c "DELETE FROM ranking_scores WHERE group_id LIKE 'sz%';
  INSERT INTO ranking_scores (group_id, user_id, score) SELECT 'sz' || g, 'user' || u, (g * 7919 + u * 104729) % 1000000
  FROM generate_series(1, $groups) g, generate_series(1, 100) u"

dotnet build src/Ranking.Gateway -c Release -v q -nologo >/dev/null
dotnet src/Ranking.Gateway/bin/Release/net10.0/Ranking.Gateway.dll --urls "http://127.0.0.1:$port" \
  "--Gateway:KeyPrefix=$prefix" "--Gateway:Policies:ranking:Fresh=00:00:$fresh" --Gateway:Policies:ranking:FreshJitter=00:00:00 \
  --Gateway:Policies:ranking:L1=00:00:00.050 --Logging:LogLevel:Default=Warning >/tmp/sizing-gateway-$$.log 2>&1 &
gateway=$!
trap 'kill $gateway 2>/dev/null || true' EXIT
until curl -fs -o /dev/null "http://127.0.0.1:$port/health/ready"; do sleep 0.2; done

reset() { for p in "${nodes[@]}"; do redis-cli -p "$p" config resetstat >/dev/null; done; }
# "command calls" lines summed over the nodes, without the runner's own INFO/CONFIG.
stats() {
  for p in "${nodes[@]}"; do redis-cli -p "$p" info commandstats; done | tr -d '\r' |
    sed -n 's/^cmdstat_\([a-z|]*\):calls=\([0-9]*\),.*/\1 \2/p' | grep -v '^\(info\|config\|cluster\|ping\|memory\|scan\|client\|command\|pubsub\)' |
    awk '{ c[$1] += $2 } END { for (k in c) printf "%s=%d ", k, c[k] }'
}
read_all() { # phase name, expected X-Cache-Status
  local seen
  reset
  # Eight at a time, so a phase takes far less than the fresh window on a busy machine.
  seen="$(seq 1 "$groups" | xargs -P 8 -I{} curl -fs -o /dev/null -D - "http://127.0.0.1:$port/ranking/sz{}" |
    tr -d '\r' | sed -n 's/^X-Cache-Status: //Ip' | sort | uniq -c | xargs)"
  [ "$seen" = "$groups $2" ] || { echo "$1 phase answered: $seen" >&2; exit 1; }
  sleep 1 # background revalidations (STALE) finish
  printf '%-6s %d answers: %s\n' "$1" "$groups" "$(stats)"
}

read_all MISS MISS
sleep 0.2 # past L1
read_all FRESH FRESH
sleep "$fresh"
read_all STALE STALE

total=0
for ((i = 1; i <= groups; i++)); do
  key="$prefix{ranking:sz$i}:entry"
  for p in "${nodes[@]}"; do
    b="$(redis-cli -p "$p" memory usage "$key" 2>/dev/null | grep -E '^[0-9]+$' || true)"
    [ -z "$b" ] || { total=$((total + b)); break; }
  done
done
printf 'MEMORY USAGE of an entry (Top-100, 100-user groups): %d bytes on average over %d entries\n' $((total / groups)) "$groups"
for p in "${nodes[@]}"; do redis-cli -p "$p" --scan --pattern "$prefix*" | xargs -r -n 100 redis-cli -p "$p" del >/dev/null 2>&1 || true; done
psql_app -c "DELETE FROM ranking_scores WHERE group_id LIKE 'sz%'"
