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
          smoke            a few seconds of small runs that fail (exit 1) if stampede protection fails

        targets
          --url URL              an already-running gateway (repeatable); without it the runner starts --instances
          --instances N          gateways to start (default 2), each on a free port with a key prefix of its own run
          --gateway PATH         the gateway dll to start (default src/Ranking.Gateway/bin/<configuration>/net10.0/)
          --set KEY=VALUE        extra configuration for started gateways, e.g. --set Gateway:Policies:ranking:L1=00:00:00
          --pg CONNSTRING        PostgreSQL to count origin queries in and to seed through
                                 (default $ConnectionStrings__Postgres, else 127.0.0.1:5479 db ranking)
          --redis HOST:PORT      Redis of started gateways (default $ConnectionStrings__Redis, else 127.0.0.1:6479)
          --database NAME        database of started gateways, created and seeded (COPY) on demand (default ranking_loadtest)
          --users N              users per group when seeding (default 1000)
          --pin                  run the servers the runner starts (gateways, baseline server) on CPU 0 and the
                                 load generator (the runner, re-run under taskset) on CPU 1, so open-loop latency
                                 (the @50% phases) measures the server, not the generator's scheduling; Redis and
                                 PostgreSQL are left where they are; warm-ups last 10 s instead of 3 s. Needs
                                 taskset (util-linux) and 2+ CPUs

        load
          --groups N             groups: the Zipf range (default 10000) or the pool a stampede group is picked from (default 1000)
          --group ID             the stampede's group (default: a random one)
          --clients N            stampede clients (default 1000)
          --rate R               open-loop requests per second (steady default: half the measured FRESH-hit peak;
                                 redis-outage default: 1000)
          --concurrency N        closed-loop clients instead of --rate
          --duration TIME        steady / redis-outage length (default 30s)
          --zipf S               Zipf exponent (default 1.1)
          --limit N              ?limit= of every request (default 100)
          --origin-delay TIME    started gateways: pg_sleep before every origin query (stampede-stale default 2s, else 0)
          --fresh TIME           started gateways: the fresh window (stampede-stale default 5s, else appsettings.json)
          --outage-at TIME       redis-outage: when Redis is stopped (default 5s)
          --outage-for TIME      redis-outage: how long it stays down (default 10s)
          --private-redis        redis-outage: stop and start a redis-server of the runner's own instead of the
                                 project's (which scripts/services-up.sh restarts), so nothing else is disturbed
          --baseline-duration T  length of each baseline phase; 0 skips the baselines (default 5s)
          --baseline-concurrency N  closed-loop clients of the baseline phases (default 32)
          --seed N               random seed (default 1)
          --out DIR              where the Markdown report and SVG chart go (default loadtests/out)

        TIME is seconds or a number with ms / s / m, e.g. 500ms, 30s, 2m.
        """;
}
