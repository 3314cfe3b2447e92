#!/usr/bin/env bash
# The change stream (Ranking:Refresh:Changes = Replication) under two things the test suite cannot do to a shared
# PostgreSQL: one transaction of 1,000,000 rows over 10,000 groups (one queue item per group? memory?), and a real
# restart of PostgreSQL (does a fast shutdown finish, does the stream come back, is a write made right after it served?).
# Uses the project's services (scripts/services-up.sh, ports 5479/6479), a database rg_manual of its own, a gateway on
# port 5099 built in Release (dotnet build -c Release first); everything it made is dropped at the end.
# Run from the repo root: bash loadtests/change-stream-faults.sh   (about 2 minutes). Results: loadtests/CHANGES.md.
set -uo pipefail
cd "$(dirname "$0")/.."
mkdir -p /tmp/manual
rm -f /tmp/manual/stop-rss
source scripts/_common.sh; export_connection_env
PSQL_ADMIN="psql -X -q -h 127.0.0.1 -p 5479 -U ranking -d ranking"
export PGPASSWORD=ranking
$PSQL_ADMIN -c "DROP DATABASE IF EXISTS rg_manual WITH (FORCE)" -c "CREATE DATABASE rg_manual"
P="psql -X -q -At -h 127.0.0.1 -p 5479 -U ranking -d rg_manual"
$P -f db/schema.sql
$P -c "INSERT INTO ranking_scores (group_id, user_id, score, updated_at) SELECT 'g'||g, 'u'||u, (g*31+u*17)%100000, now() - interval '1 hour' FROM generate_series(1,10000) g, generate_series(1,100) u"
redis-cli -p 6479 --scan --pattern 'manual:*' | xargs -r redis-cli -p 6479 del >/dev/null
ConnectionStrings__Postgres="Host=127.0.0.1;Port=5479;Database=rg_manual;Username=ranking;Password=ranking" \
Ranking__Refresh__Mode=Queue Ranking__Refresh__Changes=Replication Ranking__Refresh__ReplicationSlot=rg_manual \
Gateway__KeyPrefix=manual: ASPNETCORE_URLS=http://127.0.0.1:5099 Logging__LogLevel__Default=Information \
  dotnet src/Ranking.Gateway/bin/Release/net10.0/Ranking.Gateway.dll > /tmp/manual/gateway.log 2>&1 &
GW=$!
echo "gateway pid $GW"
until curl -sf -o /dev/null http://127.0.0.1:5099/health/live; do sleep 0.5; done
enq() { curl -s http://127.0.0.1:5099/metrics | awk -v s="$1" '$0 ~ "^gateway_refresh_enqueued_total" && $0 ~ "source=\""s"\"" {print $NF}'; }
refreshed() { curl -s http://127.0.0.1:5099/metrics | awk '/^gateway_refresh_groups_total/ && /outcome="refreshed"/ {s+=$NF} END {print s+0}'; }
until [ "$(enq all)" = "10000" ] && [ "$(redis-cli -p 6479 xlen 'manual:{refresh:0}:queue')" = "0" ]; do sleep 1; done
echo "first pass done: all=$(enq all) refreshed=$(refreshed) rss_kb=$(ps -o rss= -p $GW)"
sleep 3
before=$(enq stream); rbefore=$(refreshed)
( peak=0; while kill -0 $GW 2>/dev/null && [ ! -f /tmp/manual/stop-rss ]; do r=$(ps -o rss= -p $GW); [ "$r" -gt "$peak" ] && peak=$r; echo $peak > /tmp/manual/peak; sleep 0.2; done ) &
start=$(date +%s.%N)
$P -c "UPDATE ranking_scores SET score = score + 1"   # one transaction, 1,000,000 rows, 10,000 groups
echo "huge transaction committed in $(echo "$(date +%s.%N) - $start" | bc) s"
until [ "$(refreshed)" -ge $((rbefore + 10000)) ]; do sleep 0.2; done
echo "huge tx: stream-enqueued $(( $(enq stream) - before )), refreshed $(( $(refreshed) - rbefore )), all visible $(echo "$(date +%s.%N) - $start" | bc) s after the statement began, peak rss_kb $(cat /tmp/manual/peak) (before: see above)"
touch /tmp/manual/stop-rss
$P -c "SELECT slot_name, active, pg_size_pretty(pg_wal_lsn_diff(pg_current_wal_insert_lsn(), restart_lsn)) retained, pg_size_pretty(pg_wal_lsn_diff(pg_current_wal_insert_lsn(), confirmed_flush_lsn)) unconfirmed FROM pg_replication_slots"
# A real restart of PostgreSQL, and a write right after it is back.
find_pg_bin; resolve_pg_dir
echo "restarting PostgreSQL ($PG_DIR)"
as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR" -m fast -w restart -l "$PG_LOG" >/dev/null
start=$(date +%s.%N)
$P -c "UPDATE ranking_scores SET score = 1000000000 WHERE group_id = 'g5' AND user_id = 'u7'"
until curl -s http://127.0.0.1:5099/ranking/g5?limit=1 | grep -q '"u7"'; do sleep 0.05; done
echo "after the restart: the write served $(echo "$(date +%s.%N) - $start" | bc) s after it was sent"
grep -E "Change stream|324|325|328" /tmp/manual/gateway.log | cut -c1-220 | head -10
kill $GW; wait $GW 2>/dev/null
sleep 1
$P -c "SELECT pg_drop_replication_slot('rg_manual')"
$PSQL_ADMIN -c "DROP DATABASE IF EXISTS rg_manual WITH (FORCE)"
redis-cli -p 6479 --scan --pattern 'manual:*' | xargs -r redis-cli -p 6479 del >/dev/null
echo done
