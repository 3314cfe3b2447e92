using System.Diagnostics;
using Npgsql;
using StackExchange.Redis;
using Ranking.Gateway.LoadTests.Cli;
using Ranking.Gateway.LoadTests.Load;
using Ranking.Gateway.LoadTests.Measurement;
using Ranking.Gateway.LoadTests.Seeding;

namespace Ranking.Gateway.LoadTests.Scenarios.Modes;

/// <summary>
/// One mode, start to finish, on gateways of its own: seed (once) and vacuum the database, start a Redis and the
/// instances with the mode's settings and a key prefix of their own, start the writer, (Queue) wait for the
/// start-up backlog to drain, then an idle window (writes, no reads; measured after one period), a lead-in and the
/// measured window (Zipf reads at a fixed rate, and writes). Costs are
/// counted between snapshots taken while the load runs, so no settling skews a rate.
/// </summary>
internal static class ModeRun
{
    public static async Task<ModeResult> RunAsync(Arguments args, ModePlan plan, string runId, bool warmUp, CancellationToken cancellationToken)
    {
        var database = plan.Database(args.Database);
        var setup = new List<string>
        {
            await Seeder.EnsureAsync(args.Postgres, database, plan.Groups, args.Users, cancellationToken),
            await SettleAsync(Seeder.ConnectionString(args.Postgres, database), cancellationToken),
        };
        var runArgs = args with { Groups = plan.Groups, Instances = plan.Instances, Database = database };
        var options = new TestBedOptions(plan.Groups, TimeSpan.Zero, Fresh: null, HitGateway: false, PrivateRedis: !args.SharedRedis, ModeSettings.For(plan.Mode, args.Period));
        await using var bed = await TestBed.StartAsync(runArgs, options, cancellationToken, runId);
        setup.AddRange(bed.Setup.Skip(1));
        if (warmUp)
        {
            await Warmup.GatewaysAsync(bed);
        }

        var sql = new SqlStatsReader(bed.Postgres, database);
        var redis = new RedisStatsReader(bed.Redis.ConnectionString);
        var probe = new CostProbe(sql, redis, bed.Client.Http, bed.Gateways, bed.Started.Select(g => (Func<TimeSpan>)(() => g.CpuTime)).ToArray());
        var writes = new WriteLog();
        // No reset on close: every DISCARD ALL in the database is then a gateway's.
        await using var writerDatabase = NpgsqlDataSource.Create(
            new NpgsqlConnectionStringBuilder(bed.GatewayDatabase) { MaxPoolSize = 2, NoResetOnClose = true }.ConnectionString);
        var writer = new ScoreWriter(writerDatabase, plan.Groups, args.Users, args.WriteShare, args.WriteZipf, args.Seed, writes);
        using var stopWriter = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var writing = writer.RunAsync(stopWriter.Token);
        try
        {
            if (plan.Mode == "Queue")
            {
                setup.Add(await DrainAsync(probe, args, plan, cancellationToken));
            }

            CostDelta? idle = null;
            var idleWrites = (0L, 0);
            if (args.Idle > TimeSpan.Zero)
            {
                // One period unmeasured first: a mode's start (a first walk, an initial enqueue) is not its cost per period.
                Console.Error.WriteLine($"{plan.Label}: {(args.Period + args.Idle).TotalSeconds:0.#} s of writes without reads ...");
                await Task.Delay(args.Period, cancellationToken);
                var before = await probe.ReadAsync(cancellationToken);
                await Task.Delay(args.Idle, cancellationToken);
                var after = await probe.ReadAsync(cancellationToken);
                idle = after.Since(before);

                // From one period before: a pass at the window's start rightly takes the changes of the period before it.
                idleWrites = writes.Between((before.At - args.Period).UtcTicks, after.At.UtcTicks);
            }

            var measured = await ReadAsync(bed, args, plan, probe, cancellationToken);
            await stopWriter.CancelAsync();
            await writing;

            var (phase, start, end, gauges, answers, marks) = measured;
            var leadTicks = (long)(args.LeadIn.TotalSeconds * Stopwatch.Frequency);
            var window = phase.Samples.Where(s => s.StartTicks >= leadTicks).Select(s => s with { StartTicks = s.StartTicks - leadTicks }).ToArray();
            var reads = new PhaseResult(plan.Label, phase.Description, window, args.Duration, phase.NotSent, phase.Late);
            var cost = end.Since(start);
            reads.Origin = new OriginDelta(cost.Sql.Available ? cost.TopNQueries : null, [(long)(cost.Metrics.Total(GatewayCounters.OriginQueries) ?? 0)]);
            return new ModeResult(
                plan,
                reads,
                phase.Samples.Count(s => s.StartTicks < leadTicks && !s.IsSuccess),
                FirstReads.Of([.. phase.Samples.Where(s => s.StartTicks < (long)(args.Period.TotalSeconds * Stopwatch.Frequency))]),
                idle,
                cost,
                StalenessSummary.Of(answers, writes, start.At.UtcTicks, end.At.UtcTicks),
                gauges,
                GroupsReadPerPeriod(reads, args.Duration, args.Period),
                idleWrites,
                writes.Between(start.At.UtcTicks, end.At.UtcTicks),
                ChangedGroupsPerPeriod(writes, start.At, end.At, args.Period),
                writes.CommitLatency(),
                args.Elastic ? [.. marks.Zip(marks.Skip(1), (from, to) => Window(from, to, phase, answers, writes))] : [],
                setup,
                new[] { sql.Problem, redis.Problem }.OfType<string>().ToArray());
        }
        finally
        {
            await stopWriter.CancelAsync();
            await writing;
        }
    }

    private static async Task<(PhaseResult Phase, CostSnapshot Start, CostSnapshot End, IReadOnlyDictionary<string, double> Gauges, ObservedAnswer[] Answers, List<Mark> Marks)> ReadAsync(
        TestBed bed, Arguments args, ModePlan plan, CostProbe probe, CancellationToken cancellationToken)
    {
        var zipf = new ZipfSampler(plan.Groups, args.Zipf);
        var instances = bed.Gateways.ToArray();
        RequestPlan requests = (n, _) =>
        {
            var group = zipf.Next(RequestRandom.Uniform(args.Seed, n));
            var targets = Volatile.Read(ref instances);
            return (bed.RankingUri(targets[(int)(n % targets.Length)], $"g{group}"), group);
        };

        CostSnapshot? start = null, end = null;
        IReadOnlyDictionary<string, double> gauges = new Dictionary<string, double>();
        var marks = new List<Mark>();
        async Task MeasureAsync(long phaseStart)
        {
            async Task<CostSnapshot> MarkAsync(string next)
            {
                var snapshot = await probe.ReadAsync(cancellationToken);
                marks.Add(new Mark(snapshot, (long)(Stopwatch.GetElapsedTime(phaseStart).TotalSeconds * Stopwatch.Frequency), next));
                return snapshot;
            }

            await DelayUntilAsync(phaseStart, args.LeadIn, cancellationToken);
            start = await MarkAsync($"before: {instances.Length} instances");
            var sampling = GaugeSampler.RunAsync(probe, args.Duration, cancellationToken);
            if (args.Elastic)
            {
                // An instance joins a third in (started as the others were; load goes to it once it answers), and the
                // first instance leaves two thirds in: taken out of the load first, as a load balancer would, then
                // killed (SIGKILL: in Queue mode it holds the producer's lease and may be in the middle of a batch).
                var third = args.Duration / 3;
                await DelayUntilAsync(phaseStart, args.LeadIn + third, cancellationToken);
                await MarkAsync($"after the join: {instances.Length + 1} instances (the joiner's start-up included)");
                var joiner = await bed.StartVariantAsync($"gateway-{instances.Length + 1}-joined", []);
                probe.Add(joiner.Url, () => joiner.CpuTime);
                Volatile.Write(ref instances, [.. instances, joiner.Url]);

                await DelayUntilAsync(phaseStart, args.LeadIn + 2 * third, cancellationToken);
                var leaving = bed.Started[0];
                var leader = plan.Mode == "Queue" && await LeaderPidAsync(bed) == leaving.Id ? ", the producer's leader" : "";
                Volatile.Write(ref instances, [.. instances.Where(i => i != leaving.Url)]);
                await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken); // what it was answering finishes
                await MarkAsync($"after the leave: {instances.Length} instances (gateway-1 killed{leader})");
                probe.Retire(leaving.Url);
                await leaving.KillAsync();
            }

            await DelayUntilAsync(phaseStart, args.LeadIn + args.Duration, cancellationToken);
            end = await MarkAsync("");
            gauges = await sampling;
        }

        var description = $"Zipf s={args.Zipf:0.##} over {plan.Groups:N0} groups at {args.Rate:N0} req/s, {instances.Length} instances, "
            + $"writes to {args.WriteShare:0.##%} of the groups a second{(args.WriteZipf > 0 ? $" (Zipf s={args.WriteZipf:0.##}, hot groups written most)" : "")}; {args.LeadIn.TotalSeconds:0.#} s lead-in, then {args.Duration.TotalSeconds:0.#} s measured"
            + (args.Elastic ? ", one instance joining a third in and the first leaving (killed) two thirds in" : "");
        Console.Error.WriteLine($"{plan.Label}: {description} ...");
        await Burst.WarmConnectionsAsync(bed.Client, instances, 64);
        var answers = new AnswerLog();
        var phase = await OpenLoop.RunAsync(bed.Client, plan.Label, description, args.Rate!.Value, args.LeadIn + args.Duration, requests, args.Seed, MeasureAsync, answers);
        return (phase, start!, end!, gauges, answers.Snapshot(), marks);
    }

    private static ElasticWindow Window(Mark from, Mark to, PhaseResult phase, ObservedAnswer[] answers, WriteLog writes) => new(
        from.Next,
        to.Snapshot.Since(from.Snapshot),
        [.. phase.Samples.Where(s => s.StartTicks >= from.Ticks && s.StartTicks < to.Ticks)],
        StalenessSummary.Of(answers, writes, from.Snapshot.At.UtcTicks, to.Snapshot.At.UtcTicks));

    /// <summary>A snapshot taken during the reads, when (Stopwatch ticks since the phase began), and what the window after it is.</summary>
    private sealed record Mark(CostSnapshot Snapshot, long Ticks, string Next);

    // The process id in the name of the instance holding the Queue producer's lease ("host:pid:random"), or null.
    private static async Task<int?> LeaderPidAsync(TestBed bed)
    {
        await using var redis = await ConnectionMultiplexer.ConnectAsync(bed.Redis.ConnectionString);
        var holder = (string?)await redis.GetDatabase().StringGetAsync($"lt-{bed.RunId}:{{refresh:leader}}");
        return holder?.Split(':') is [_, var pid, _] && int.TryParse(pid, out var id) ? id : null;
    }

    // A backlog of about two periods of changes (at least one batch) is the running state, not start-up.
    private static async Task<string> DrainAsync(CostProbe probe, Arguments args, ModePlan plan, CancellationToken cancellationToken)
    {
        var threshold = Math.Max(100, (long)(2 * plan.Groups * args.WriteShare * args.Period.TotalSeconds));
        var timeout = TimeSpan.FromSeconds(Math.Max(60, 24 * args.Period.TotalSeconds));
        Console.Error.WriteLine($"{plan.Label}: waiting for the start-up backlog to drain (queue ≤ {threshold:N0}) ...");
        var (drained, waited) = await QueueDrain.WaitAsync(probe, threshold, timeout, cancellationToken);
        return drained
            ? $"the producer's first pass (every group) drained to ≤ {threshold:N0} queued in {waited.TotalSeconds:0} s; measuring started after that"
            : $"the queue did not drain to ≤ {threshold:N0} within {timeout.TotalSeconds:0} s (or gateway_queue_length was not exported): idle and window may include start-up work";
    }

    private static async Task DelayUntilAsync(long phaseStart, TimeSpan at, CancellationToken cancellationToken)
    {
        var wait = at - Stopwatch.GetElapsedTime(phaseStart);
        if (wait > TimeSpan.Zero)
        {
            await Task.Delay(wait, cancellationToken);
        }
    }

    // Every mode starts from the same table: the previous mode's writes leave dead rows and fresh statistics behind.
    public static async Task<string> SettleAsync(string connectionString, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        await using var vacuum = new NpgsqlCommand("VACUUM (ANALYZE) ranking_scores", connection) { CommandTimeout = 600 };
        await vacuum.ExecuteNonQueryAsync(cancellationToken);
        return $"VACUUM (ANALYZE) ranking_scores before the mode started ({clock.Elapsed.TotalSeconds:0.0} s)";
    }

    // Whole periods only: requests the generator sent late spill past the window's end, and a sliver of a period
    // would pull the average down.
    private static double GroupsReadPerPeriod(PhaseResult reads, TimeSpan window, TimeSpan period)
    {
        var periodTicks = (long)(period.TotalSeconds * Stopwatch.Frequency);
        var periods = (long)(window / period);
        var buckets = reads.Samples.Where(s => s.StartTicks / periodTicks < periods)
            .GroupBy(s => s.StartTicks / periodTicks)
            .Select(b => b.Select(s => s.Group).Distinct().Count())
            .ToArray();
        return buckets.Length == 0 ? double.NaN : buckets.Average();
    }

    private static double ChangedGroupsPerPeriod(WriteLog writes, DateTimeOffset from, DateTimeOffset to, TimeSpan period)
    {
        var counts = new List<int>();
        for (var at = from; at + period <= to; at += period)
        {
            counts.Add(writes.Between(at.UtcTicks, (at + period).UtcTicks).Groups);
        }

        return counts.Count == 0 ? double.NaN : counts.Average();
    }
}
