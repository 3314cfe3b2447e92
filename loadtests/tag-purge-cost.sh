#!/usr/bin/env bash
# The cost of purging a tag with 100,000 entries (README "Purging", RESULTS.md issue 21): writes 100,000 entries of
# one tag straight into the project's Redis (prefix tagbench:), starts one gateway on port 18081 and purges the tag,
# soft then hard, printing the answer, the time and Redis's command stats. Needs `bash scripts/services-up.sh` and a
# Release build of src/Ranking.Gateway.
set -e
cd /work/main
source scripts/_common.sh; export_connection_env
PORT=${ConnectionStrings__Redis##*:}
P=tagbench:
redis-cli -p $PORT --scan --pattern "tagbench:*" | xargs -r -n 1000 redis-cli -p $PORT DEL >/dev/null
FUT=$(( ($(date +%s) + 3600) * 1000 ))
# 100,000 entries (a few hundred bytes each) in the tag 'big', through one Lua script in batches
for b in $(seq 0 9); do
redis-cli -p $PORT EVAL "for i = tonumber(ARGV[1]), tonumber(ARGV[2]) do local k = 'k' .. i; redis.call('HSET', ARGV[3] .. '{' .. k .. '}:entry', 'g', '1', 'd', string.rep('x', 300)); redis.call('ZADD', ARGV[3] .. '{#tag:big}:index', ARGV[4], k) end return 1" 0 $((b*10000+1)) $((b*10000+10000)) $P $FUT >/dev/null
done
redis-cli -p $PORT ZCARD "${P}{#tag:big}:index"
export Admin__ApiKey=tagbench-admin-key-0123456789abcdef0123
export Gateway__KeyPrefix=$P
export Logging__LogLevel__Default=Warning
dotnet src/Ranking.Gateway/bin/Release/net10.0/Ranking.Gateway.dll --urls http://127.0.0.1:18081 > /tmp/tagbench-gw.log 2>&1 &
GW=$!
for i in $(seq 1 60); do curl -sf 127.0.0.1:18081/health/ready >/dev/null && break; sleep 0.5; done
for kind in true false; do
  if [ $kind = false ]; then for b in $(seq 0 9); do redis-cli -p $PORT EVAL "for i = tonumber(ARGV[1]), tonumber(ARGV[2]) do local k = 'k' .. i; redis.call('HSET', ARGV[3] .. '{' .. k .. '}:entry', 'g', '1', 'd', string.rep('x', 300)) end return 1" 0 $((b*10000+1)) $((b*10000+10000)) $P >/dev/null; done; fi
  redis-cli -p $PORT CONFIG RESETSTAT >/dev/null
  T0=$(date +%s%N)
  OUT=$(curl -s -X POST -H "Authorization: Bearer $Admin__ApiKey" -H 'Content-Type: application/json' -d "{\"tags\":[\"big\"],\"soft\":$kind}" 127.0.0.1:18081/_admin/purge)
  T1=$(date +%s%N)
  echo "soft=$kind: $OUT in $(( (T1-T0)/1000000 )) ms; redis $(redis-cli -p $PORT INFO commandstats | grep -E 'cmdstat_(evalsha|eval|zrangebyscore|publish):' | tr '\r\n' '  ')"
done
kill $GW; wait $GW 2>/dev/null || true
redis-cli -p $PORT --scan --pattern "tagbench:*" | xargs -r -n 1000 redis-cli -p $PORT DEL >/dev/null
