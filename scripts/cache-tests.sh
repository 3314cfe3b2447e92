#!/usr/bin/env bash
# The public HTTP cache test suite (cache-tests.fyi) against the gateway: installs the suite (pinned), starts its
# server as the upstream and a gateway with the catch-all route of loadtests/cache-tests/appsettings.json in front,
# runs every test through the gateway and scores the required ones (loadtests/cache-tests/score.mjs). Exits non-zero
# when a required test listed in loadtests/cache-tests/expected.json fails (each such test is first run again alone,
# twice, so a test that a busy machine made late is not a regression). Results: loadtests/out/cache-tests-*.json.
#   --policy NAME   the route's policy: suite (the documented configuration, default) or defaults (the gateway's own
#                   defaults plus what the suite needs to reach its server)
#   --suite DIR     a checkout of github.com/http-tests/cache-tests instead of the npm package (newer tests; the
#                   expected file is then not checked)
#   --nginx         also run the suite against nginx proxy_cache (the suite's own nginx settings) on this machine
#   --write-expected  record this run's passing required tests as the expected ones
set -euo pipefail

# shellcheck source-path=SCRIPTDIR
# shellcheck source=_common.sh
source "$(dirname "${BASH_SOURCE[0]}")/_common.sh"

SUITE_VERSION=0.4.5
policy=suite
suite_dir=""
with_nginx=0
write_expected=0
while [ $# -gt 0 ]; do
  case "$1" in
    --policy) policy="$2"; shift 2 ;;
    --suite) suite_dir="$(cd "$2" && pwd -P)"; shift 2 ;;
    --nginx) with_nginx=1; shift ;;
    --write-expected) write_expected=1; shift ;;
    *) die "usage: $0 [--policy suite|defaults] [--suite DIR] [--nginx] [--write-expected]" ;;
  esac
done

command -v node >/dev/null 2>&1 || die "node is needed to run the HTTP cache test suite"
bash "$RG_ROOT/scripts/services-up.sh" >/dev/null
export_connection_env

# The suite: the npm package (pinned), installed once under .data/.
if [ -z "$suite_dir" ]; then
  install_dir="$DATA_DIR/cache-tests/$SUITE_VERSION"
  suite_dir="$install_dir/node_modules/http-cache-tests"
  if [ ! -f "$suite_dir/package.json" ]; then
    info "cache-tests: installing http-cache-tests@$SUITE_VERSION from npm"
    mkdir -p "$install_dir"
    npm install --prefix "$install_dir" --no-audit --no-fund --loglevel=error "http-cache-tests@$SUITE_VERSION" >/dev/null
  fi
  suite_label="http-cache-tests@$SUITE_VERSION (npm)"
  expected="$RG_ROOT/loadtests/cache-tests/expected.json"
else
  [ -d "$suite_dir/node_modules" ] || (cd "$suite_dir" && npm install --no-audit --no-fund --loglevel=error >/dev/null)
  suite_label="cache-tests at $(git -C "$suite_dir" rev-parse --short HEAD 2>/dev/null || basename "$suite_dir")"
  expected=""
fi
# The npm package keeps its engine at the top; the repository, under test-engine/.
engine="$suite_dir"
[ -f "$engine/cli.mjs" ] || engine="$suite_dir/test-engine"
[ -f "$engine/cli.mjs" ] || die "no cli.mjs in $suite_dir or its test-engine/"

wait_port() {
  local i
  for ((i = 0; i < 200; i++)); do
    port_in_use "$1" && return 0
    sleep 0.1
  done
  return 1
}

work="$(mktemp -d)"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  [ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

server_port="$(free_port)"
(cd "$suite_dir" && npm_config_port="$server_port" npm_config_protocol=http npm_config_pidfile="$work/server.pid" \
  exec node "$engine/server/server.mjs") >"$work/server.log" 2>&1 &
pids+=($!)
wait_port "$server_port" || die "the suite's server did not start; $(cat "$work/server.log")"

dotnet build "$RG_ROOT/src/Ranking.Gateway" -c Release -v quiet -nologo >/dev/null
gateway_port="$(free_port)"
dotnet "$RG_ROOT/src/Ranking.Gateway/bin/Release/net10.0/Ranking.Gateway.dll" \
  --contentRoot "$RG_ROOT/loadtests/cache-tests" --urls "http://127.0.0.1:$gateway_port" \
  --Gateway:KeyPrefix="cache-tests-$$-$RANDOM:" \
  --ReverseProxy:Routes:everything:Metadata:CachePolicy="$policy" \
  --ReverseProxy:Clusters:suite:Destinations:server:Address="http://127.0.0.1:$server_port/" \
  >"$work/gateway.log" 2>&1 &
pids+=($!)
wait_port "$gateway_port" || die "the gateway did not start; $(tail -20 "$work/gateway.log")"

# One test, or all (id empty), against a base URL; prints the JSON results (all) or the dump and verdict (one).
run_suite() { # base, id
  (cd "$suite_dir" && npm_config_base="$1" npm_config_id="$2" npm_package_config_id="" node --no-warnings "$engine/cli.mjs")
}

mkdir -p "$RG_ROOT/loadtests/out"
stamp="$(date -u +%Y%m%d-%H%M%S)"
results="$RG_ROOT/loadtests/out/cache-tests-$stamp-gateway-$policy.json"
info "cache-tests: $suite_label through the gateway (policy '$policy') ..."
run_suite "http://127.0.0.1:$gateway_port" "" >"$results"
score=(node "$RG_ROOT/loadtests/cache-tests/score.mjs" "$suite_dir")

status=0
if [ -n "$expected" ] && [ "$write_expected" -eq 0 ] && [ "$policy" = suite ]; then
  if ! "${score[@]}" "$results" --expected "$expected" --label "gateway ($policy)" | tee "$work/score.txt"; then
    # A test that lost against a busy machine's clock passes alone; one that fails alone twice is a regression.
    for id in $(sed -n 's/^REGRESSED [0-9]*: //p' "$work/score.txt"); do
      if run_suite "http://127.0.0.1:$gateway_port" "$id" | grep -q '^✅' || run_suite "http://127.0.0.1:$gateway_port" "$id" | grep -q '^✅'; then
        info "cache-tests: $id passes when run again alone"
      else
        warn "cache-tests: $id, a required test that passed before, fails"
        status=1
      fi
    done
  fi
elif [ "$write_expected" -eq 1 ] && [ -n "$expected" ]; then
  "${score[@]}" "$results" --label "gateway ($policy)" --write-expected "$expected"
  info "cache-tests: wrote $expected"
else
  "${score[@]}" "$results" --label "gateway ($policy)"
fi

if [ "$with_nginx" -eq 1 ]; then
  command -v nginx >/dev/null 2>&1 || die "--nginx: nginx is not installed (apt-get install nginx-light)"
  nginx_port="$(free_port)"
  # nginx's workers run as another user when started as root: they must reach the cache folders.
  mkdir -p "$work/nginx-cache" "$work/nginx-tmp"
  chmod 755 "$work"
  chmod 777 "$work/nginx-cache" "$work/nginx-tmp"
  # The suite's own nginx settings (its docker/nginx/nginx.conf): a cache with revalidation on, nothing else changed.
  cat >"$work/nginx.conf" <<EOF
daemon on;
pid $work/nginx.pid;
error_log $work/nginx-error.log;
events {}
http {
  access_log off;
  proxy_cache_path $work/nginx-cache levels=1:2 keys_zone=suite:8m max_size=1000m inactive=600m;
  proxy_temp_path $work/nginx-tmp;
  server {
    listen 127.0.0.1:$nginx_port;
    location / {
      proxy_pass http://127.0.0.1:$server_port;
      proxy_cache suite;
      proxy_cache_revalidate on;
      proxy_http_version 1.1;
    }
  }
}
EOF
  nginx -c "$work/nginx.conf" -p "$work" || die "nginx did not start"
  wait_port "$nginx_port" || die "nginx did not listen on $nginx_port"
  nginx_results="$RG_ROOT/loadtests/out/cache-tests-$stamp-nginx.json"
  info "cache-tests: $suite_label through $(nginx -v 2>&1 | sed 's/.*: //') ..."
  run_suite "http://127.0.0.1:$nginx_port" "" >"$nginx_results"
  "${score[@]}" "$nginx_results" --label "$(nginx -v 2>&1 | sed 's/.*: //') proxy_cache"
fi

exit "$status"
