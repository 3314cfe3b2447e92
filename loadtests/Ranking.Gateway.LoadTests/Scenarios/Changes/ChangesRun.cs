using System.Diagnostics;
using Npgsql;
using StackExchange.Redis;
using Ranking.Gateway.LoadTests.Cli;
using Ranking.Gateway.LoadTests.Load;
using Ranking.Gateway.LoadTests.Measurement;
using Ranking.Gateway.LoadTests.Scenarios.Modes;
using Ranking.Gateway.LoadTests.Seeding;

namespace Ranking.Gateway.LoadTests.Scenarios.Changes;

/// <summary>
/// One change source, start to finish, on gateways and a Redis of its own: seed (once) and vacuum the database, start
/// the instances in Queue mode with the source and a replication slot of the run's own, wait for the first pass to
/// pre-cache every group, then the steady part (readers on every instance, the writer, every tenth write tracked until
/// every instance shows it, then a grace of two periods at most for the last ones), then the burst; stop the gateways
/// and drop the slot.
/// </summary>
internal static class ChangesRun
{
    public const string SteadyPhase = "steady";
    public const string BurstPhase = "burst";

    /// <summary>Steady writes: one in this many is tracked until visible (ten a second at the default 1%).</summary>
    public const int SampleEvery = 10;

    public const int BurstGroups = 500;
    public const int BurstUsers = 20;
    public const int BurstCommits = 10;

    /// <summary>Commits of the steady writer: a second's groups in ten commits.</summary>
    public static readonly TimeSpan WriteEvery = TimeSpan.FromMilliseconds(100);

    /// <summary>The queue's backlog is read this long after the burst's last commit.</summary>
    public static readonly TimeSpan BacklogAfter = TimeSpan.FromSeconds(5);

    private static readonly TimeSpan PrecacheTimeout = TimeSpan.FromMinutes(10);

    // The Prometheus exporter caches a scrape for 300 ms: a snapshot taken sooner may miss the last counts.
    private static readonly TimeSpan ScrapeCache = TimeSpan.FromMilliseconds(400);

    public static async Task<ChangesResult> RunAsync(Arguments args, string source, string runId, CancellationToken cancellationToken)
    {
        var database = $"{args.Database}_{args.Groups}";
        var slot = ReplicationSlot.NameFor(runId);
        var setup = new List<string>
        {
            await Seeder.EnsureAsync(args.Postgres, database, args.Groups, args.Users, cancellationToken),
            await ModeRun.SettleAsync(Seeder.ConnectionString(args.Postgres, database), cancellationToken),
        };
        if (await QuietAsync(Seeder.ConnectionString(args.Postgres, database), cancellationToken) is { } waited)
        {
            setup.Add(waited);
        }

        var settings = new List<string>(ModeSettings.For("Queue", args.Period))
        {
            $"Ranking:Refresh:Changes={source}",
            $"Ranking:Refresh:ReplicationSlot={slot}",
            // The known-groups poll runs Ranking:ChangedGroupsSql on every instance every 2 s whatever the change source:
            // off, every change scan counted is the producer's.
            "Ranking:RejectUnknownGroups=false",
        };
        var options = new TestBedOptions(args.Groups, TimeSpan.Zero, Fresh: null, HitGateway: false, PrivateRedis: true, settings);
        var bed = await TestBed.StartAsync(args with { Database = database }, options, cancellationToken, runId);
        ChangesResult result;
        try
        {
            setup.AddRange(bed.Setup.Skip(1));
            result = await MeasureAsync(bed, args, source, slot, database, setup, cancellationToken);
        }
        finally
        {
            await bed.DisposeAsync();
            setup.Add(await ReplicationSlot.DropAsync(bed.GatewayDatabase, slot));
        }

        return result;
    }

    private static async Task<ChangesResult> MeasureAsync(TestBed bed, Arguments args, string source, string slot, string database, List<string> setup, CancellationToken cancellationToken)
    {
        await Warmup.GatewaysAsync(bed);
        var sql = new SqlStatsReader(bed.Postgres, database);
        var probe = new CostProbe(sql, new RedisStatsReader(bed.Redis.ConnectionString), bed.Client.Http, bed.Gateways, bed.Started.Select(g => (Func<TimeSpan>)(() => g.CpuTime)).ToArray());
        await using var redis = await ConnectionMultiplexer.ConnectAsync(bed.Redis.ConnectionString);
        var queue = (RedisKey)$"lt-{bed.RunId}:{{refresh:0}}:queue";
        Task<long> BacklogAsync() => redis.GetDatabase().StreamLengthAsync(queue);

        Console.Error.WriteLine($"{source}: waiting for the first pass to pre-cache all {args.Groups:N0} groups ...");
        setup.Add(await PrecachedAsync(probe, BacklogAsync, args.Groups, cancellationToken));

        var instances = bed.Gateways.ToArray();
        var checker = new VisibilityChecker(bed.Client.Http, instances.Length, (instance, group) => bed.RankingUri(instances[instance], $"g{group}"));
        using var stopChecking = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var checking = checker.RunAsync(stopChecking.Token);
        var wal = PeriodicSampler<(long Retained, long Unconfirmed)>.Start(t => ReplicationSlot.RetainedAsync(bed.Postgres, slot, t), TimeSpan.FromSeconds(1));
        try
        {
            // Steady: readers and the writer for --duration, then until every tracked write shows (two periods at most).
            await using var writerDatabase = NpgsqlDataSource.Create(
                new NpgsqlConnectionStringBuilder(bed.GatewayDatabase) { MaxPoolSize = 2, NoResetOnClose = true }.ConnectionString);
            var writes = new WriteLog();
            var written = 0L;
            var writer = new ScoreWriter(writerDatabase, args.Groups, args.Users, args.WriteShare, zipf: 0, args.Seed, writes, WriteEvery, rows =>
            {
                foreach (var row in rows.Where(_ => written++ % SampleEvery == 0))
                {
                    checker.Track(row, SteadyPhase);
                }
            });
            var zipf = new ZipfSampler(args.Groups, args.Zipf);
            RequestPlan plan = (n, _) =>
            {
                var group = zipf.Next(RequestRandom.Uniform(args.Seed, n));
                return (bed.RankingUri(instances[(int)(n % instances.Length)], $"g{group}"), group);
            };
            var description = $"Zipf s={args.Zipf:0.##} over {args.Groups:N0} groups at {args.Rate:N0} req/s on {instances.Length} instances while {args.WriteShare:0.##%} "
                + $"of the groups change a second ({SampleEvery}th write tracked until visible), changes by {source}";
            Console.Error.WriteLine($"{source}: {description} ...");
            await Burst.WarmConnectionsAsync(bed.Client, instances, 16);
            var steadyStart = await probe.ReadAsync(cancellationToken);
            using var stopWriter = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var writing = writer.RunAsync(stopWriter.Token);
            var reads = await OpenLoop.RunAsync(bed.Client, source, description, args.Rate!.Value, args.Duration, plan, args.Seed);
            await stopWriter.CancelAsync();
            await writing;
            Console.Error.WriteLine($"{source}: writes stopped; waiting up to {2 * args.Period.TotalSeconds:0} s for the last ones to show everywhere ...");
            var grace = await checker.WaitAsync(SteadyPhase, 2 * args.Period, cancellationToken);
            var steady = checker.Summary(SteadyPhase);
            await Task.Delay(ScrapeCache, cancellationToken);
            var steadyEnd = await probe.ReadAsync(cancellationToken);

            // Burst: BurstUsers users of each of BurstGroups groups in BurstCommits commits over one second.
            Console.Error.WriteLine($"{source}: burst of {BurstUsers * BurstGroups:N0} changes to {BurstGroups} groups in one second ...");
            var burstWrites = new WriteLog();
            var burster = new ScoreWriter(writerDatabase, args.Groups, args.Users, share: 0, zipf: 0, args.Seed, burstWrites);
            var random = new Random(args.Seed + 1);
            var groups = Enumerable.Range(1, args.Groups).OrderBy(_ => random.Next()).Take(Math.Min(BurstGroups, args.Groups)).ToArray();
            var users = Math.Min(BurstUsers, args.Users);
            var burstStarted = Stopwatch.GetTimestamp();
            var burstEnded = burstStarted;
            using (var timer = new PeriodicTimer(TimeSpan.FromSeconds(1.0 / BurstCommits)))
            {
                foreach (var chunk in groups.Chunk((groups.Length + BurstCommits - 1) / BurstCommits))
                {
                    var rows = await burster.CommitAsync([.. chunk.SelectMany(g => Enumerable.Range(1, users).Select(u => (g, u)))], random, cancellationToken);
                    burstEnded = Stopwatch.GetTimestamp();
                    foreach (var row in rows.Where(r => r.User == 1))
                    {
                        checker.Track(row, BurstPhase);
                    }

                    await timer.WaitForNextTickAsync(cancellationToken);
                }
            }

            await Task.Delay(BacklogAfter - Stopwatch.GetElapsedTime(burstEnded), cancellationToken);
            var backlog = await BacklogAsync();
            await checker.WaitAsync(BurstPhase, 2 * args.Period, cancellationToken);
            await Task.Delay(ScrapeCache, cancellationToken);
            var burstEnd = await probe.ReadAsync(cancellationToken);
            var burstSummary = checker.Summary(BurstPhase);
            return new ChangesResult(
                source,
                slot,
                reads,
                writes.GroupsWritten,
                steady,
                grace,
                steadyEnd.Since(steadyStart),
                burstWrites.GroupsWritten,
                (long)groups.Length * users,
                Stopwatch.GetElapsedTime(burstStarted, burstEnded),
                burstSummary,
                burstSummary.AllVisibleAt is { } at ? Stopwatch.GetElapsedTime(burstEnded, at) : null,
                backlog,
                burstEnd.Since(steadyEnd),
                wal.Readings,
                writes.CommitLatency(),
                setup,
                [.. new[] { sql.Problem }.OfType<string>()]);
        }
        finally
        {
            await stopChecking.CancelAsync();
            await checking;
            await wal.DisposeAsync();
        }
    }

    // The producer's scans reach back Ranking:Refresh:WatermarkOverlap (10 s) behind the watermark, which the first pass
    // sets to when it started: rows written within that before it (a seed just made) would be queued again by the next
    // pass, inside the measured part, as if they had changed there.
    private static async Task<string?> QuietAsync(string connectionString, CancellationToken cancellationToken)
    {
        var overlap = TimeSpan.FromSeconds(11);
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand("SELECT coalesce(extract(epoch FROM now() - max(updated_at)), 1e6)::float8 FROM ranking_scores", connection);
        var wait = overlap - TimeSpan.FromSeconds((double)(await command.ExecuteScalarAsync(cancellationToken))!);
        if (wait <= TimeSpan.Zero)
        {
            return null;
        }

        await Task.Delay(wait, cancellationToken);
        return $"waited {wait.TotalSeconds:0.0} s before starting the gateways, so the last write to the table (the seed) was older than the watermark overlap (10 s)";
    }

    // The first pass queues every group: measuring starts once every group was recomputed and the queue is empty.
    private static async Task<string> PrecachedAsync(CostProbe probe, Func<Task<long>> backlog, int groups, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < PrecacheTimeout)
        {
            var refreshed = (await probe.ScrapeAllAsync(cancellationToken)).Select(GatewayCounters.Parse).Aggregate(GatewayCounters.None, (sum, next) => sum.Plus(next)).Refreshed;
            if (refreshed >= groups && await backlog() == 0)
            {
                return $"the first pass pre-cached every group ({refreshed:N0} recomputed, queue empty) in {clock.Elapsed.TotalSeconds:0} s; measuring started after that";
            }

            await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
        }

        return $"the first pass had not pre-cached every group (or the queue was not empty) after {PrecacheTimeout.TotalMinutes:0} min: the steady part includes start-up work";
    }
}
