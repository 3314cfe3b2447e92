using System.Globalization;
using Ranking.Gateway.LoadTests.Cli;
using Ranking.Gateway.LoadTests.Hosting;
using Ranking.Gateway.LoadTests.Report;

namespace Ranking.Gateway.LoadTests.Scenarios.Audit;

/// <summary>
/// audit: the write audit, per refresh mode. A writer changes scores at a steady rate and logs every commit; a reader on
/// each of two instances reads every group over and over; PostgreSQL is cut from the gateways, Redis frozen and killed,
/// an instance killed (in Queue mode the producer's lease holder) and replaced, on a schedule. Then every write is looked
/// for in every instance's answers: lost writes (never shown), how long each took to show, answers other than 2xx for a
/// group already cached, and answers that went back to an older score. --smoke is the short schedule CI runs.
/// </summary>
internal static class AuditScenario
{
    public static async Task<RunReport> RunAsync(Arguments args, IReadOnlyList<string> commandLine, CancellationToken cancellationToken)
    {
        await TestBed.CheckPostgresAsync(args.Postgres, cancellationToken);
        var plan = AuditPlan.For(args.SmokeRun);
        var runId = TestBed.NewRunId();
        var report = new RunReport
        {
            Scenario = args.SmokeRun ? "audit-smoke" : Arguments.Audit,
            Title = $"audit{(args.SmokeRun ? " --smoke" : "")}: {string.Join(", ", args.Modes)}, {AuditPlan.Groups} groups × {AuditPlan.Users} users, faults on a schedule",
            RunId = runId,
            CommandLine = commandLine,
            OutDirectory = args.OutDir ?? RepoPaths.DefaultOut,
        };

        var results = new List<AuditResult>();
        foreach (var mode in args.Modes)
        {
            Console.Error.WriteLine($"== audit {mode} ==");
            var (result, setup) = await AuditRun.RunAsync(args, mode, plan, $"{runId}-{mode.ToLowerInvariant()}", cancellationToken);
            results.Add(result);
            report.Setup.AddRange(setup.Select(line => $"{mode}: {line}"));
            if (ReplicationSlotOf(args) is { } slot)
            {
                // The gateways have stopped: the slot they streamed from would otherwise keep WAL for ever.
                report.Setup.Add($"{mode}: {await Changes.ReplicationSlot.DropAsync(Seeding.Seeder.ConnectionString(args.Postgres, args.Database), slot)}");
            }
            report.Notes.AddRange(result.Examples.Select(line => $"{mode}: {line}"));
        }

        report.Tables.Add(Table(results));
        foreach (var r in results)
        {
            report.Hard($"{r.Mode}: lost writes", "0", $"{r.Lost} of {r.Writes} writes × 2 instances", r.Lost == 0);
            report.Hard($"{r.Mode}: non-2xx for a group already cached", "0", $"{r.FailedCached} of {r.Reads:N0} reads", r.FailedCached == 0);
            report.Hard($"{r.Mode}: an instance going back to an older answer", "0", $"{r.Regressions}", r.Regressions == 0);
            report.Target($"{r.Mode}: shown within {AuditPlan.Bound(r.Mode).TotalSeconds:0.#} s away from faults", "0 late", $"{r.Late} late", r.Late == 0);
        }

        report.Notes.Add($"Schedule (from the first write): {string.Join("; ", plan.Faults.Select(f => f.Describe()))}; writes stop at {plan.WritesUntil.TotalSeconds:0} s, reads at {plan.Length.TotalSeconds:0} s.");
        report.Notes.Add($"Gateway settings, every mode: period {AuditPlan.Period.TotalSeconds:0} s, Fresh {AuditPlan.Fresh.TotalSeconds:0} s, Stale 10 s, StaleIfError {AuditPlan.StaleIfError.TotalSeconds:0} s, L1 0.5 s, OriginTimeout 2 s, VisibilityTimeout 3 s; a Redis of the run's own per mode.");
        report.Notes.Add("A write is shown by an instance when one of its answers received after the commit holds the written user's score or a higher one (scores only grow). "
            + "Lag = that answer's arrival − the commit. Lost = never shown by the end of the reads. Late = shown after the mode's bound with no fault within the bound (and 5 s) of the commit.");
        return report;
    }

    // With --set Ranking:Refresh:Changes=Replication, the slot the gateways read (--set …ReplicationSlot=, or the default).
    private static string? ReplicationSlotOf(Arguments args)
    {
        string? Setting(string key) => args.Settings.LastOrDefault(s => s.StartsWith(key + "=", StringComparison.OrdinalIgnoreCase))?[(key.Length + 1)..];
        return string.Equals(Setting("Ranking:Refresh:Changes"), "Replication", StringComparison.OrdinalIgnoreCase)
            ? Setting("Ranking:Refresh:ReplicationSlot") ?? "ranking_gateway"
            : null;
    }

    private static ReportTable Table(IReadOnlyList<AuditResult> results) => new(
        "Write audit",
        ["mode", "writes", "lost", "lag p50", "lag p99", "lag max", "late", "reads", "non-2xx cached", "regressions", "no answer (killed instance)", "answers by status"],
        [.. results.Select(r => new[]
        {
            r.Mode,
            r.Writes.ToString("N0", CultureInfo.InvariantCulture),
            r.Lost.ToString(CultureInfo.InvariantCulture),
            Ms(r.Lag.P50),
            Ms(r.Lag.P99),
            Ms(r.Lag.Max),
            r.Late.ToString(CultureInfo.InvariantCulture),
            r.Reads.ToString("N0", CultureInfo.InvariantCulture),
            r.FailedCached.ToString(CultureInfo.InvariantCulture),
            r.Regressions.ToString(CultureInfo.InvariantCulture),
            r.Unanswered.ToString(CultureInfo.InvariantCulture),
            string.Join(" ", r.Statuses.OrderByDescending(s => s.Value).Select(s => $"{s.Key}:{s.Value}")),
        })],
        ["Lag is per write and instance, from the commit to the first answer that showed it."]);

    private static string Ms(double ms) => double.IsNaN(ms) ? "—" : $"{ms.ToString("N0", CultureInfo.InvariantCulture)} ms";
}
