#!/usr/bin/env bash
# Start the services and run the whole test suite. Extra arguments are passed
# to `dotnet test` (e.g. --filter FullyQualifiedName~Cache). Exits non-zero on
# any failure.
#   --redis-cluster [--replicas]: against a local Redis Cluster instead (services-up.sh starts it), and only
#   the tests marked [Trait("Category", "Cluster")] (the stampede, invalidation, failover and refresh-mode
#   tests), unless a --filter is given; the k6 harness and the load runner are left to the plain run.
set -euo pipefail

# shellcheck source-path=SCRIPTDIR
# shellcheck source=_common.sh
source "$(dirname "${BASH_SOURCE[0]}")/_common.sh"

cluster_args=()
test_args=()
for arg in "$@"; do
  case "$arg" in
    --redis-cluster | --replicas) cluster_args+=("$arg") ;;
    *) test_args+=("$arg") ;;
  esac
done

bash "$RG_ROOT/scripts/services-up.sh" "${cluster_args[@]}"
if [ ${#cluster_args[@]} -gt 0 ]; then export RG_REDIS_CLUSTER=1; fi
export_connection_env
cd "$RG_ROOT"

# k6 scripts are ES modules with bare 'k6/...' imports: --input-type=module
# parses stdin as ESM and --check never resolves imports, so this is a pure
# syntax check that needs no k6 binary (node 20 cannot --check a .js file as
# ESM reliably without a package.json "type": "module").
shopt -s nullglob
k6_scripts=(k6/*.js)
shopt -u nullglob
if [ ${#k6_scripts[@]} -gt 0 ]; then
  if command -v node >/dev/null 2>&1; then
    k6_failed=0
    for f in "${k6_scripts[@]}"; do
      if ! node --check --input-type=module <"$f"; then
        printf 'ERROR: syntax error in %s (line numbers above refer to it as [stdin])\n' "$f" >&2
        k6_failed=1
      fi
    done
    [ "$k6_failed" -eq 0 ] || die "k6 script syntax check failed"
    info "k6 scripts: syntax OK (${k6_scripts[*]})"
  else
    warn "node not found: skipping the syntax check of ${k6_scripts[*]}"
  fi
fi

# The operator console's browser tests (Admin/ConsoleTests) drive Debian's Chromium through Playwright (whose own
# browser download cannot work without the internet); installed here where it is missing and we may. Without it
# those tests are skipped and say why.
if [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    info "chromium: not installed, installing it with apt-get for the console's browser tests (quiet)..."
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
      || warn "chromium could not be installed: the console's browser tests will be skipped"
  else
    warn "chromium is not installed (apt-get install chromium): the console's browser tests will be skipped"
  fi
fi

# .NET 10's `dotnet new sln` writes .slnx; accept either.
sln=Ranking.Gateway.sln
if [ ! -f "$sln" ] && [ -f Ranking.Gateway.slnx ]; then sln=Ranking.Gateway.slnx; fi
[ -f "$sln" ] || die "$RG_ROOT/Ranking.Gateway.sln not found"

: "${DOTNET_NOLOGO:=1}" "${DOTNET_CLI_TELEMETRY_OPTOUT:=1}"
export DOTNET_NOLOGO DOTNET_CLI_TELEMETRY_OPTOUT
if [ "${RG_REDIS_CLUSTER:-0}" = 1 ]; then
  filter=(--filter Category=Cluster)
  for arg in "${test_args[@]}"; do
    [ "$arg" != --filter ] || filter=()
  done
  info "Tests against the Redis Cluster at $ConnectionStrings__Redis"
  dotnet test "$sln" -c Release "${filter[@]}" "${test_args[@]}"
  exit 0
fi

dotnet test "$sln" -c Release "${test_args[@]}"

# The public HTTP cache test suite through a gateway with the documented catch-all route: fails when a required test
# that passed before (loadtests/cache-tests/expected.json) fails now.
bash "$RG_ROOT/scripts/cache-tests.sh"

bash "$RG_ROOT/scripts/k6-harness.sh" # the k6 scripts' verdicts against two live gateways (k6/README.md)

# A few seconds of the load runner (cold and stale stampedes, a short steady mix), so it cannot rot.
dotnet run --project loadtests/Ranking.Gateway.LoadTests -c Release -- smoke

# Each refresh mode briefly, two instances each: fails when a mode stops doing its job (no background recomputes in
# CompetingLocks, no batched queries in Queue, queries without reads in Lazy or Early, any non-2xx).
dotnet run --project loadtests/Ranking.Gateway.LoadTests -c Release -- compare-modes --smoke

# The write audit briefly (about 40 s per mode): a logged writer, readers on two instances, PostgreSQL cut from the
# gateways, Redis frozen and killed, an instance killed; fails on a lost write, a non-2xx answer for a cached group, or
# an instance going back to an older answer, in any refresh mode.
dotnet run --project loadtests/Ranking.Gateway.LoadTests -c Release -- audit --smoke

# Overload and failure briefly (about 20 s): a never-seen-id flood with RejectUnknownGroups must not reach PostgreSQL,
# and a 2 s Redis freeze must be bypassed without unanswered requests and caching must come back.
dotnet run --project loadtests/Ranking.Gateway.LoadTests -c Release -- overload-smoke
