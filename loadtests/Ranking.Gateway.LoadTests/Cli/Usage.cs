namespace Ranking.Gateway.LoadTests.Cli;

internal static class Usage
{
    public const string Text = """
        usage: dotnet run --project loadtests/Ranking.Gateway.LoadTests -c Release -- <scenario> [options]

        scenarios
          stampede-cold    --clients concurrent clients ask for one never-cached group at once
          stampede-stale   the same on a group whose entry is stale, with the origin made slow
          steady           a Zipf-skewed read mix over --groups groups, open-loop (--rate) or closed-loop (--concurrency)
          redis-outage     steady load while Redis is stopped and started again
          redis-freeze     steady load while a redis-server of the run's own is frozen (SIGSTOP) and thawed
                           (SIGCONT): errors, p99 against 2 × Gateway:RedisTimeout, how soon caching resumes
          flood            one instance: a closed-loop flood of known-group reads, then one of never-seen ids (a
                           fresh id per request), each while a second client reads known groups open loop; with
                           default settings (the bulkhead) and with Ranking:RejectUnknownGroups=true. Reports
                           the second client's p99 under each flood against the known flood's, Top-N queries,
                           503s and the most Top-N queries PostgreSQL ran at once (pg_stat_activity every 50 ms)
          memory           one instance reads --ids distinct group ids (the known groups and never-seen ones) as
                           fast as --concurrency clients go; the gateway's RSS every second, GC settings
          smoke            a few seconds of small runs that fail (exit 1) if stampede protection fails
          overload-smoke   about 20 s on one instance with Ranking:RejectUnknownGroups: a never-seen-id flood, then a
                           two-second Redis freeze; fails (exit 1) if the flood reached PostgreSQL, a known read beside
                           it failed, a request went unanswered or caching did not resume after the freeze
          compare-modes    the same read + write workload against each refresh mode (Ranking:Refresh:Mode) in turn,
                           costs (SQL, Redis, locks, CPU) and the staleness readers saw side by side; --smoke is a
                           short variant with hard checks, --cost-growth short runs at several group counts

        targets
          --url URL              an already-running gateway (repeatable); without it the runner starts --instances
          --instances N          gateways to start (default 2; flood, memory: 1, always), each on a free port with a key
                                 prefix of its own run
          --gateway PATH         the gateway dll to start (default src/Ranking.Gateway/bin/<configuration>/net10.0/)
          --set KEY=VALUE        extra configuration for started gateways, e.g. --set Gateway:Policies:ranking:L1=00:00:00
          --pg CONNSTRING        PostgreSQL to count origin queries in and to seed through
                                 (default $ConnectionStrings__Postgres, else 127.0.0.1:5479 db ranking)
          --redis HOST:PORT      Redis of started gateways (default $ConnectionStrings__Redis, else 127.0.0.1:6479)
          --database NAME        database of started gateways, created and seeded (COPY) on demand (default ranking_loadtest;
                                 flood, memory, redis-freeze: ranking_demo, the demo data's shape)
          --users N              users per group when seeding (default 1000)
          --pin                  run the servers the runner starts (gateways, baseline server) on CPU 0 and the
                                 load generator (the runner, re-run under taskset) on CPU 1, so open-loop latency
                                 (the @50% phases) measures the server, not the generator's scheduling; Redis and
                                 PostgreSQL are left where they are; warm-ups last 10 s instead of 3 s. Needs
                                 taskset (util-linux) and 2+ CPUs

        load
          --groups N             groups: the Zipf range (default 10000) or the pool a stampede group is picked from (default 1000);
                                 flood, memory, redis-freeze: the known groups g1..gN (default 1000)
          --group ID             the stampede's group (default: a random one)
          --clients N            stampede clients (default 1000)
          --rate R               open-loop requests per second (steady default: half the measured FRESH-hit peak;
                                 redis-outage default: 1000)
          --concurrency N        closed-loop clients instead of --rate; flood, memory: the flood's connections (default 64)
          --duration TIME        steady / redis-outage length (default 30s); redis-freeze length, flood: each flood (20s)
          --zipf S               Zipf exponent (default 1.1)
          --limit N              ?limit= of every request (default 100)
          --origin-delay TIME    started gateways: pg_sleep before every origin query (stampede-stale default 2s, else 0)
          --fresh TIME           started gateways: the fresh window (stampede-stale default 5s, flood 10m so no
                                 refresh runs during it, else appsettings.json)
          --outage-at TIME       redis-outage, redis-freeze: when Redis is stopped / frozen (default 5s)
          --outage-for TIME      redis-outage: how long it stays down (default 10s); redis-freeze: frozen (default 4s)
          --private-redis        redis-outage: stop and start a redis-server of the runner's own instead of the
                                 project's (which scripts/services-up.sh restarts), so nothing else is disturbed
          --probe-rate R         flood: known-group reads per second from the second client (default 200)
          --ids N                memory: distinct group ids, the --groups known ones among them (default 1000000)
          --shared-redis         flood, memory: use --redis instead of a redis-server of the run's own
          --baseline-duration T  length of each baseline phase; 0 skips the baselines (default 5s); flood, memory
                                 and redis-freeze measure their baselines in the run instead
          --baseline-concurrency N  closed-loop clients of the baseline phases (default 32)
          --seed N               random seed (default 1)
          --out DIR              where the Markdown report and SVG chart go (default loadtests/out)

        compare-modes (defaults: full run / --smoke / --cost-growth)
          --modes LIST           refresh modes, in order (default Lazy,CompetingLocks,Queue,Early)
          --groups N             groups, g1..gN (10000 / 200 / –); a database of its own per count: <--database>_<N>
          --users N              users per group when seeding (100 / 20 / 100); default --database is ranking_modes
          --rate R               open-loop reads per second, Zipf --zipf over the groups (1000 / 100 / 1000)
          --period TIME          Ranking:Refresh:Period, standing for the document's minute (5s / 2s / 5s); the
                                 policy scales with it: Fresh = period, FreshJitter = period/6, Stale = 10 periods,
                                 StaleIfError = 60 periods, L1 = min(2 s, period/2)
          --write-share S        share of the groups the writer changes every second, 1% or 0.01 (1% / 5% / 1%)
          --idle TIME            writes without reads, measured after one more period (3 / 2 / 2 periods)
          --lead-in TIME         reads and writes before the measured window (11 / 1 / 2 periods)
          --duration TIME        the measured window (12 / 3 / 4 periods)
          --instances N          gateways per mode (2); --cost-growth also runs CompetingLocks with N+1
          --sizes LIST           --cost-growth: group counts (default 1000,10000,100000)
          --shared-redis         use --redis (shared; other traffic pollutes the command counts) instead of a
                                 redis-server of the run's own per mode
          --smoke                tiny, about 15 s per mode; exits 1 when a mode is broken
          --cost-growth          each mode briefly at each of --sizes groups

        TIME is seconds or a number with ms / s / m, e.g. 500ms, 30s, 2m.
        """;
}
