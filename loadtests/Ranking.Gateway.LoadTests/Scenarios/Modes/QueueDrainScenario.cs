using System.Diagnostics;
using System.Globalization;
using Npgsql;
using Ranking.Gateway.LoadTests.Cli;
using Ranking.Gateway.LoadTests.Hosting;
using Ranking.Gateway.LoadTests.Measurement;
using Ranking.Gateway.LoadTests.Report;
using Ranking.Gateway.LoadTests.Seeding;

namespace Ranking.Gateway.LoadTests.Scenarios.Modes;

/// <summary>
/// queue-drain: how fast Queue mode's consumers get through a backlog, by fleet (instances × consumer loops each), the
/// document's "throughput grows linearly with consumers". Per fleet: gateways of their own in Queue mode, the start-up
/// backlog drained first; then one statement changes every group at once (one user's score each) and the run times
/// the producer queuing them and the consumers recomputing them all. Then once more on the default fleet with one
/// poison group, whose Top-N always fails: how long the rest takes, and whether it ends in the dead letters after its
/// retries without holding anything else up.
/// </summary>
internal static class QueueDrainScenario
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(5);

    // Each fleet drains this many backlogs, so each figure has a spread.
    private const int Rounds = 3;

    public static async Task<RunReport> RunAsync(Arguments args, IReadOnlyList<string> commandLine, CancellationToken cancellationToken)
    {
        await TestBed.CheckPostgresAsync(args.Postgres, cancellationToken);
        var runId = TestBed.NewRunId();
        var report = new RunReport
        {
            Scenario = Arguments.QueueDrain,
            Title = $"queue-drain: a backlog of every one of {args.Groups:N0} groups, by fleet (instances × consumers)",
            RunId = runId,
            CommandLine = commandLine,
            OutDirectory = args.OutDir ?? RepoPaths.DefaultOut,
        };

        var poison = $"g{(args.Groups + 1) / 2}";
        (int Instances, int Consumers) poisoned = args.Fleets.Contains((2, 1)) ? (2, 1) : args.Fleets[0];
        var runs = args.Fleets.Select(f => (Fleet: f, Poison: (string?)null)).Append((Fleet: poisoned, Poison: poison));
        var results = new List<DrainResult>();
        foreach (var (fleet, poisonGroup) in runs)
        {
            var label = $"{fleet.Instances}×{fleet.Consumers}{(poisonGroup is null ? "" : " + poison")}";
            Console.Error.WriteLine($"== queue-drain {label} ==");
            var result = await RunOneAsync(args, fleet, poisonGroup, $"{runId}-{fleet.Instances}x{fleet.Consumers}{(poisonGroup is null ? "" : "p")}", cancellationToken);
            results.Add(result);
            report.Setup.AddRange(result.Setup.Select(line => $"{label}: {line}"));
            var expected = Rounds * (poisonGroup is null ? args.Groups : args.Groups - 1);
            report.Hard($"{label}: every group recomputed, {Rounds} times", $"{expected:N0} refreshed", $"{result.Refreshed:N0} refreshed", result.Drained && result.Refreshed >= expected);
            if (poisonGroup is not null)
            {
                report.Hard($"{label}: the poison group {poisonGroup} dead-lettered once per round", N(Rounds), N(result.DeadLettered), result.DeadLettered == Rounds);
            }
        }

        report.Tables.Add(Table(results, args.Groups));
        report.Notes.Add(
            $"Gateway settings: {string.Join(", ", ModeSettings.For("Queue", args.Period))}; Ranking:Refresh:Consumers = the fleet's consumers; every other setting appsettings.json's "
            + "(BatchSize 100, MaxDeliveries 5, RetryBackoff 1 s). A Redis of the run's own per fleet. No reads and no other writes during a drain.");
        report.Notes.Add(
            "First queued after = from the UPDATE's commit until the producer queued the first group (its next pass: up to one period). Recomputed all in = from then "
            + "until every group but the poison was recomputed (gateway_refresh_groups_total{outcome=refreshed}, read every 100 ms); groups/s = those groups ÷ that time. "
            + "Poison dead-lettered after = from the first queued until the poison group reached the dead letters.");
        report.Notes.Add(
            $"Poison: {poison}'s Top-N fails (a division by zero in Ranking:TopNSql and in Ranking:BatchTopNSql when the batch holds it), so every batch holding it fails, its "
            + "other groups are recomputed one by one, and it is retried with backoff until MaxDeliveries, then dead-lettered.");
        return report;
    }

    private static async Task<DrainResult> RunOneAsync(Arguments args, (int Instances, int Consumers) fleet, string? poison, string runId, CancellationToken cancellationToken)
    {
        var database = $"{args.Database}_{args.Groups}";
        var setup = new List<string> { await Seeder.EnsureAsync(args.Postgres, database, args.Groups, args.Users, cancellationToken) };
        var settings = new List<string>(ModeSettings.For("Queue", args.Period)) { $"Ranking:Refresh:Consumers={fleet.Consumers}" };
        if (poison is not null)
        {
            settings.AddRange(PoisonSettings(poison));
        }

        var runArgs = args with { Instances = fleet.Instances, Database = database };
        await using var bed = await TestBed.StartAsync(runArgs, new TestBedOptions(args.Groups, TimeSpan.Zero, Fresh: null, HitGateway: false, PrivateRedis: true, settings), cancellationToken, runId);
        setup.AddRange(bed.Setup.Skip(1));
        var sql = new SqlStatsReader(bed.Postgres, database);
        var probe = new CostProbe(sql, new RedisStatsReader(bed.Redis.ConnectionString), bed.Client.Http, bed.Gateways, bed.Started.Select(g => (Func<TimeSpan>)(() => g.CpuTime)).ToArray());

        // The producer's first pass queues every group: that start-up is waited out, not measured.
        var startup = Stopwatch.StartNew();
        var started = await WaitAsync(probe, null, args.Groups, 0, cancellationToken);
        setup.Add($"start-up backlog (the first pass, every group) {(started.Done ? "drained" : "not drained")} in {startup.Elapsed.TotalSeconds:0} s");

        // Rounds of one change to every group, each waited out (and the poison dead-lettered) before the next.
        var first = await probe.ReadAsync(cancellationToken);
        var timings = new List<Timing>();
        await using var writer = new NpgsqlConnection(bed.GatewayDatabase);
        await writer.OpenAsync(cancellationToken);
        for (var round = 0; round < Rounds; round++)
        {
            var before = await probe.ReadAsync(cancellationToken);
            await using var touch = new NpgsqlCommand("UPDATE ranking_scores SET score = score + 1, updated_at = now() WHERE user_id = 'u1'", writer);
            var changed = await touch.ExecuteNonQueryAsync(cancellationToken);
            var timing = await WaitAsync(probe, before, args.Groups, poison is null ? 0 : 1, cancellationToken);
            timings.Add(timing);
            setup.Add($"round {round + 1}: one UPDATE changed {changed:N0} groups (user u1 of each); {(timing.Done ? "all recomputed" : "not all recomputed in time")}");
            if (!timing.Done)
            {
                break;
            }
        }

        var cost = (await probe.ReadAsync(cancellationToken)).Since(first);
        return new DrainResult($"{fleet.Instances} × {fleet.Consumers}", poison, timings, cost.Metrics.Refreshed, (long)(cost.Metrics.Total(GatewayCounters.DeadLettered) ?? 0), cost, setup);
    }

    /// <summary>
    /// Polls the instances every 100 ms. With <paramref name="before"/> null (the start-up pass): until every group was
    /// queued and every queue is empty. Otherwise: until all <paramref name="groups"/> were recomputed since
    /// <paramref name="before"/> but the <paramref name="poisoned"/> ones, and those dead-lettered, timing when the
    /// producer queued the first and the last group. The queue gauges are not used for that: they are refreshed on the
    /// producer's schedule, once a period.
    /// </summary>
    private static async Task<Timing> WaitAsync(CostProbe probe, CostSnapshot? before, int groups, int poisoned, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        TimeSpan? firstQueued = null, allQueued = null, recomputed = null;
        while (clock.Elapsed < Timeout)
        {
            var scrapes = await probe.ScrapeAllAsync(cancellationToken);
            var counters = scrapes.Select(GatewayCounters.Parse).Aggregate(GatewayCounters.None, (sum, next) => sum.Plus(next));
            var since = before is null ? counters : counters.Since(before.Metrics);
            var queued = since.Total(GatewayCounters.Enqueued) ?? 0;
            firstQueued ??= queued > 0 ? clock.Elapsed : null;
            allQueued ??= queued >= groups ? clock.Elapsed : null;
            recomputed ??= since.Refreshed >= groups - poisoned ? clock.Elapsed : null;
            var lengths = scrapes.Select(s => PrometheusText.Max(s, "gateway_queue_length")).OfType<double>().ToArray();
            var done = before is null
                ? allQueued is not null && lengths.Length > 0 && lengths.All(length => length == 0)
                : recomputed is not null && (since.Total(GatewayCounters.DeadLettered) ?? 0) >= poisoned;
            if (done)
            {
                return new Timing(true, firstQueued ?? clock.Elapsed, allQueued ?? clock.Elapsed, recomputed ?? clock.Elapsed, clock.Elapsed);
            }

            await Task.Delay(TimeSpan.FromMilliseconds(100), cancellationToken);
        }

        return new Timing(false, firstQueued ?? clock.Elapsed, allQueued ?? clock.Elapsed, recomputed ?? clock.Elapsed, clock.Elapsed);
    }

    /// <summary>When (from the change) the producer queued the first and the last group, the healthy groups were all recomputed, and all was settled.</summary>
    private readonly record struct Timing(bool Done, TimeSpan FirstQueued, TimeSpan AllQueued, TimeSpan Recomputed, TimeSpan Settled)
    {
        public TimeSpan Queuing => AllQueued - FirstQueued;

        public TimeSpan Draining => Recomputed - FirstQueued;

        public TimeSpan DeadLettering => Settled - FirstQueued;
    }

    // A division by zero for one group: in the single Top-N for it, and in every batch that holds it.
    private static string[] PoisonSettings(string group) =>
    [
        $"Ranking:TopNSql=SELECT user_id, score FROM ranking_scores WHERE group_id = @group AND 1 / (CASE WHEN @group = '{group}' THEN 0 ELSE 1 END) = 1 ORDER BY score DESC, user_id LIMIT @limit",
        "Ranking:BatchTopNSql=SELECT g.group_id, t.user_id, t.score FROM unnest(@groups::text[]) AS g(group_id) CROSS JOIN LATERAL ("
            + "SELECT r.user_id, r.score FROM ranking_scores r WHERE r.group_id = g.group_id ORDER BY r.score DESC, r.user_id LIMIT @limit) AS t "
            + $"WHERE 1 / (CASE WHEN '{group}' = ANY(@groups::text[]) THEN 0 ELSE 1 END) = 1 ORDER BY g.group_id, t.score DESC, t.user_id",
    ];

    private static ReportTable Table(IReadOnlyList<DrainResult> results, int groups) => new(
        $"Draining a backlog of {groups:N0} changed groups ({Rounds} rounds per fleet: median [min–max])",
        ["instances × consumers", "poison", "first queued after", "recomputed all in", "groups/s", "poison dead-lettered after", "batched / single Top-N per round", "failed batches per round", "Top-N DB time per round", "gateway CPU s per instance per round"],
        [.. results.Select(r => new[]
        {
            r.Fleet,
            r.Poison ?? "—",
            Spread(r.Timings.Select(t => t.FirstQueued.TotalSeconds), "0.0", " s"),
            r.Drained ? Spread(r.Timings.Select(t => t.Draining.TotalSeconds), "0.00", " s") : $"not within {Timeout.TotalMinutes:0} min",
            r.Drained ? Spread(r.Timings.Select(t => (groups - (r.Poison is null ? 0 : 1)) / t.Draining.TotalSeconds), "N0", "") : "—",
            r.Poison is null ? "—" : Spread(r.Timings.Select(t => t.DeadLettering.TotalSeconds), "0.0", " s"),
            $"{N(r.Cost.Sql.Batched.Calls / (double)r.Timings.Count)} / {N(r.Cost.Sql.Single.Calls / (double)r.Timings.Count)}",
            N(r.Cost.Metrics.By(GatewayCounters.Batches).GetValueOrDefault("error") / r.Timings.Count),
            $"{N((r.Cost.Sql.Batched.ExecMs + r.Cost.Sql.Single.ExecMs) / r.Timings.Count)} ms",
            string.Join(" + ", r.Cost.Cpu.Select(c => (c.TotalSeconds / r.Timings.Count).ToString("0.0", CultureInfo.InvariantCulture))),
        })],
        ["Consumers are loops per instance (Ranking:Refresh:Consumers); each takes a batch of up to BatchSize groups, recomputes it in one statement and stores every entry."]);

    private static string Spread(IEnumerable<double> values, string format, string unit)
    {
        var sorted = values.Order().ToArray();
        string F(double v) => v.ToString(format, CultureInfo.InvariantCulture) + unit;
        return sorted.Length == 0 ? "—" : sorted[0] == sorted[^1] ? F(sorted[0]) : $"{F(sorted[sorted.Length / 2])} [{F(sorted[0])}–{F(sorted[^1])}]";
    }

    private static string Seconds(TimeSpan span) => $"{span.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture)} s";

    private static string N(double value) => value.ToString("N0", CultureInfo.InvariantCulture);

    private sealed record DrainResult(string Fleet, string? Poison, IReadOnlyList<Timing> Timings, long Refreshed, long DeadLettered, CostDelta Cost, IReadOnlyList<string> Setup)
    {
        public bool Drained => Timings.Count == Rounds && Timings.All(t => t.Done);
    }
}
