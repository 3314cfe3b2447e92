#!/usr/bin/env bash
# Start everything and run the gateway on http://localhost:8080.
# Extra arguments are passed to `dotnet run`.
set -euo pipefail

# shellcheck source-path=SCRIPTDIR
# shellcheck source=_common.sh
source "$(dirname "${BASH_SOURCE[0]}")/_common.sh"

# RG_REDIS_CLUSTER=1: against the local Redis Cluster (README "Redis Cluster").
if [ "${RG_REDIS_CLUSTER:-0}" = 1 ]; then
  bash "$RG_ROOT/scripts/services-up.sh" --redis-cluster
else
  bash "$RG_ROOT/scripts/services-up.sh"
fi
export_connection_env
find_pg_bin

psql_app() {
  PGPASSWORD="$PG_PASSWORD" "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 \
    -h 127.0.0.1 -p "$PG_PORT" -U "$PG_USER" -d "$PG_DB" "$@"
}

# Checked here (demo-data.sql guards itself too) to report the load time.
if [ "$(psql_app -tA -c 'SELECT NOT EXISTS (SELECT 1 FROM ranking_scores)')" = t ]; then
  info "Loading demo data (1,000 groups x 1,000 users) ..."
  t0="$(date +%s%N)"
  psql_app -f "$RG_ROOT/db/demo-data.sql" >/dev/null
  info "Demo data loaded in $(elapsed_since "$t0")"
fi

cat <<'EOF_EXAMPLES'

Try, once the gateway is listening:
  curl -s 'localhost:8080/ranking/g1?limit=5'
  curl -si localhost:8080/ranking/g1 | head -20     # X-Cache-Status header: run it twice
  curl -s localhost:8080/health/ready

EOF_EXAMPLES

cd "$RG_ROOT"
exec dotnet run --project src/Ranking.Gateway -c Release --urls http://localhost:8080 "$@"
