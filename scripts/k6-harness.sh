#!/usr/bin/env bash
# Runs the k6 scripts' own logic (setup, iterations, teardown, thresholds) with node and a shim of the k6
# modules (k6/harness/) against two gateway instances started here: each script once with the condition it
# checks met (it must pass) and once broken on purpose (it must fail). Each script also runs against a second pair
# of instances without stampede protection (caching bypassed: `MinUses` never reached, so nothing is stored and no
# lock is taken; each instance still shares one fetch among its own concurrent readers), where it must fail. Needs Redis and PostgreSQL up
# (scripts/services-up.sh), node 20+ and the .NET SDK. The instances get a database of their own (seeded
# here, dropped afterwards), a Redis key prefix of their own, and short cache windows; they are stopped on
# any exit.
set -euo pipefail

# shellcheck source-path=SCRIPTDIR
# shellcheck source=_common.sh
source "$(dirname "${BASH_SOURCE[0]}")/_common.sh"
cd "$RG_ROOT"

# Long enough that a busy machine finishes a fill and a one-second mix inside one fresh window (at 6 s, with other
# builds on the 2 cores, steady.js cases could not tell an injected query from a refresh).
FRESH_SECONDS=10
SLOW_ORIGIN_SECONDS=0.5
# The gateway's Top-N query, made slow for the slow* groups (the stampedes and stale reads).
TOP_N_SQL="SELECT user_id, score FROM (SELECT pg_sleep(CASE WHEN @group LIKE 'slow%' THEN $SLOW_ORIGIN_SECONDS ELSE 0 END)) AS slow, ranking_scores WHERE group_id = @group ORDER BY score DESC, user_id LIMIT @limit"

# As for the syntax check in test.sh, no node means no harness rather than a failure.
if ! command -v node >/dev/null 2>&1; then
  warn "node not found: skipping the k6 harness (it needs node 20 or later)"
  exit 0
fi
node_major="$(node -p 'process.versions.node.split(".")[0]')"
[ "$node_major" -ge 20 ] || die "node $(node --version) is too old: the k6 harness needs node 20 or later"
run_id="k6h_$(date +%s)_$$"
db="rg_$run_id"
prefix="$run_id:"
admin_uri="postgresql://$PG_USER:$PG_PASSWORD@127.0.0.1:$PG_PORT/$PG_DB"
timeout 3 redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 || die "Redis does not answer on $REDIS_CONN (scripts/services-up.sh starts it)"
psql "$admin_uri" -qAtc 'SELECT 1' >/dev/null 2>&1 || die "PostgreSQL does not answer on 127.0.0.1:$PG_PORT (scripts/services-up.sh starts it)"
db_uri="postgresql://$PG_USER:$PG_PASSWORD@127.0.0.1:$PG_PORT/$db"
work="$(mktemp -d)"
gateway_pids=()
db_created=0

cleanup() {
  local status=$? pid
  for pid in "${gateway_pids[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${gateway_pids[@]}"; do
    # A gateway stops within a few seconds of SIGTERM; one that hangs is killed.
    timeout 15 tail --pid="$pid" -f /dev/null 2>/dev/null || kill -9 "$pid" 2>/dev/null || true
  done
  if [ "$db_created" -eq 1 ]; then
    psql "$admin_uri" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || warn "could not drop database $db"
  fi
  timeout 10 redis-cli -p "$REDIS_PORT" --scan --pattern "$prefix*" 2>/dev/null |
    xargs -r timeout 10 redis-cli -p "$REDIS_PORT" del >/dev/null 2>&1 || true
  if [ "$status" -ne 0 ]; then
    for log in "$work"/gateway-*.log; do
      [ -s "$log" ] && { printf '\n--- last lines of %s ---\n' "$(basename "$log")" >&2; tail -n 20 "$log" >&2; }
    done
  fi
  rm -rf "$work"
}
trap cleanup EXIT

info "k6 harness: building the gateway ..."
dotnet build src/Ranking.Gateway -c Release -nologo -v q >"$work/build.log" 2>&1 || { cat "$work/build.log" >&2; die "dotnet build failed"; }

info "k6 harness: database $db (groups g1..g40, slow1..slow9; 110 users each)"
psql "$admin_uri" -qc "CREATE DATABASE $db" >/dev/null
db_created=1
psql "$db_uri" -q -v ON_ERROR_STOP=1 -f db/schema.sql >/dev/null
psql "$db_uri" -q -v ON_ERROR_STOP=1 -c "
  INSERT INTO ranking_scores (group_id, user_id, score)
  SELECT g, 'u' || u, abs(hashtext(g || '/' || u)) % 1000000
  FROM (SELECT 'g' || n AS g FROM generate_series(1, 40) n UNION ALL SELECT 'slow' || n FROM generate_series(1, 9) n) groups,
       generate_series(1, 110) u"


urls=()
unprotected=()
for name in a b u1 u2; do
  port="$(free_port)"
  # u1, u2: the unprotected pair, a key prefix of their own; every read below a million a minute goes to the origin.
  extra=()
  case "$name" in u*) extra=("--Gateway:KeyPrefix=${prefix}u:" --Gateway:Policies:ranking:MinUses=1000000) ;; esac
  dotnet src/Ranking.Gateway/bin/Release/net10.0/Ranking.Gateway.dll --contentRoot "$RG_ROOT" --urls "http://127.0.0.1:$port" \
    "--ConnectionStrings:Redis=$REDIS_CONN" "--ConnectionStrings:Postgres=Host=127.0.0.1;Port=$PG_PORT;Database=$db;Username=$PG_USER;Password=$PG_PASSWORD" \
    "--Gateway:KeyPrefix=$prefix" \
    "--Gateway:Policies:ranking:Fresh=$(printf '00:00:%02d' "$FRESH_SECONDS")" --Gateway:Policies:ranking:FreshJitter=00:00:00 \
    --Gateway:Policies:ranking:Stale=00:02:00 --Gateway:Policies:ranking:StaleIfError=00:02:00 \
    --Gateway:Policies:ranking:MissWait=00:00:20 \
    "--Ranking:TopNSql=$TOP_N_SQL" --Logging:LogLevel:Default=Warning "${extra[@]}" \
    >"$work/gateway-$name.log" 2>&1 &
  gateway_pids+=("$!")
  case "$name" in u*) unprotected+=("http://127.0.0.1:$port") ;; *) urls+=("http://127.0.0.1:$port") ;; esac
done
all_urls=("${urls[@]}" "${unprotected[@]}")

deadline=$((SECONDS + 60))
for i in "${!all_urls[@]}"; do
  until curl -fs -o /dev/null "${all_urls[$i]}/health/ready"; do
    pid_alive "${gateway_pids[$i]}" || die "gateway ${all_urls[$i]} exited while starting"
    [ "$SECONDS" -lt "$deadline" ] || die "gateway ${all_urls[$i]} not ready within 60 s"
    sleep 0.2
  done
done
info "k6 harness: gateways ready at ${urls[*]}, unprotected at ${unprotected[*]} (key prefix $prefix)"

K6H_BASE_URLS="$(IFS=,; printf '%s' "${urls[*]}")" K6H_UNPROTECTED_URLS="$(IFS=,; printf '%s' "${unprotected[*]}")" K6H_PG_URI="$db_uri" \
  node k6/harness/main.mjs
