using System.Diagnostics;
using System.Globalization;
using Ranking.Gateway.LoadTests.Hosting;
using Ranking.Gateway.LoadTests.Load;
using Ranking.Gateway.LoadTests.Measurement;
using Ranking.Gateway.LoadTests.Report;

namespace Ranking.Gateway.LoadTests.Scenarios.Overload;

/// <summary>
/// Issue 10's memory bound: one instance reads --ids distinct group ids (the --groups known ones and never-seen ones)
/// as fast as --concurrency closed-loop clients go, while the runner reads its RSS every second; the RSS must stay
/// ≤ 300 MB throughout. The baseline is the same process's RSS after warm-up and the fill, before the ids.
/// </summary>
internal static class MemoryScenario
{
    private const long TargetBytes = 300L * 1024 * 1024;

    // One request in ten reads a known group (cycling through them), so hits run beside the never-seen ids and every
    // known group is among the distinct ids; the other nine are each a new id.
    private const int KnownEvery = 10;

    private static readonly TimeSpan Idle = TimeSpan.FromSeconds(10);

    public static async Task RunAsync(TestBed bed, RunReport report, CancellationToken cancellationToken)
    {
        var args = bed.Args;
        var gateway = bed.Started[0];
        var connections = args.Concurrency ?? 64;
        report.Setup.Add($"Garbage collector of the gateway: {GcSettings.Describe(args.GatewayDll ?? RepoPaths.GatewayDll, gateway.Id)}");
        report.Setup.Add($"Gateway:L1SizeLimit {GatewaySettings.Find(bed.InstanceSettings, "Gateway:L1SizeLimit") ?? "32 MiB (the default)"}.");

        var fill = await SteadyLoad.FillAsync(bed, args.Groups, cancellationToken);
        report.Phases.Add(fill);
        StandardChecks.AllAnswered(report, fill);

        var unknown = args.Ids - args.Groups;
        var requests = unknown / (KnownEvery - 1) * KnownEvery + unknown % (KnownEvery - 1);
        var prefix = $"m{bed.RunId[^4..]}";
        RequestPlan plan = (n, _) =>
        {
            var (round, slot) = Math.DivRem(n, KnownEvery);
            if (slot == KnownEvery - 1)
            {
                var group = (int)(round % args.Groups) + 1;
                return (bed.RankingUri(gateway.Url, $"g{group}"), group);
            }

            return (bed.RankingUri(gateway.Url, $"{prefix}-{(round * (KnownEvery - 1) + slot).ToString(CultureInfo.InvariantCulture)}"), 0);
        };

        var description = $"{unknown:N0} never-seen ids, each once, and every {KnownEvery}th request one of the {args.Groups:N0} known groups in turn; "
            + $"closed loop, {connections} connections, 1 instance";
        Console.Error.WriteLine($"memory: {requests:N0} requests, {args.Ids:N0} distinct ids, {connections} connections ...");
        await Burst.WarmConnectionsAsync(bed.Client, [gateway.Url], connections);
        var before = await bed.Origin.ReadSettledAsync(null, 0, TimeSpan.FromSeconds(5), cancellationToken);
        var baseline = ProcessMemory.Read(gateway.Id);
        var start = Stopwatch.GetTimestamp();
        var sampler = PeriodicSampler<MemoryReading>.Start(_ => Task.FromResult(ProcessMemory.Read(gateway.Id)), TimeSpan.FromSeconds(1), start);
        PhaseResult phase;
        IReadOnlyList<Reading<MemoryReading>> memory;
        try
        {
            phase = await ClosedLoop.RunAsync(bed.Client, "distinct ids", description, connections, TimeSpan.FromHours(6), plan, args.Seed, count: requests);
        }
        finally
        {
            await sampler.DisposeAsync();
            memory = sampler.Readings;
        }

        var final = ProcessMemory.Read(gateway.Id);
        var after = await bed.Origin.ReadSettledAsync(before, 0, TimeSpan.FromSeconds(10), cancellationToken);
        phase.Origin = after.Since(before);
        report.Phases.Add(phase);
        report.Timeline = (phase, []);
        await Task.Delay(Idle, cancellationToken);
        var idle = ProcessMemory.Read(gateway.Id);

        var distinct = unknown + phase.DistinctGroups;
        var unexpected = phase.Samples.Count(s => s.StatusCode is not (200 or 404 or 503));
        report.Hard(
            "distinct ids: answered 200 (known), 404 (unknown) or 503 (bulkhead full)", "nothing else, 0 errors",
            $"{Count(phase, 200)} 200, {Count(phase, 404)} 404, {Count(phase, 503)} 503, {unexpected:N0} other (of which {phase.Errors:N0} errors)",
            unexpected == 0);
        StandardChecks.OriginCountsAgree(report, phase);

        var peak = new[] { final?.PeakRss ?? 0 }.Concat(memory.Select(m => m.Value.PeakRss)).Max();
        var sampledMax = memory.Count == 0 ? 0 : memory.Max(m => m.Value.Rss);
        report.Target(
            $"gateway RSS through {distinct:N0} distinct ids", "≤ 300 MiB",
            $"peak {MemoryReading.MiB(peak)} (VmHWM, since start); sampled max {MemoryReading.MiB(sampledMax)}, final {(final is { } f ? MemoryReading.MiB(f.Rss) : "n/a")}",
            peak <= TargetBytes);
        report.Tables.Add(RssTable(phase, memory, baseline, final, idle));
        report.Bars.Add(new BarSet(
            "Gateway RSS (MiB) by tenth of the run",
            [.. Tenths(phase, memory).Select(t => new Bar($"{t.At.TotalSeconds:0} s, {t.Sent:N0} sent", t.Rss / (1024.0 * 1024), MemoryReading.MiB(t.Rss)))]));
        report.Notes.Add($"{distinct:N0} distinct ids ({unknown:N0} never seen, {phase.DistinctGroups:N0} known) in {phase.Samples.Length:N0} requests over "
            + $"{phase.Elapsed.TotalSeconds:N0} s ({phase.RequestsPerSecond:N0} req/s); {phase.Origin?.Queries:N0} Top-N queries.");
    }

    private static ReportTable RssTable(PhaseResult phase, IReadOnlyList<Reading<MemoryReading>> memory, MemoryReading? baseline, MemoryReading? final, MemoryReading? idle)
    {
        string[] header = ["when", "requests sent", "RSS", "peak so far (VmHWM)"];
        var rows = new List<string[]>();
        if (baseline is { } b)
        {
            rows.Add(["before the ids (after warm-up and fill)", "0", MemoryReading.MiB(b.Rss), MemoryReading.MiB(b.PeakRss)]);
        }

        rows.AddRange(Tenths(phase, memory).Select(t => new[] { $"{t.At.TotalSeconds:0} s", PhaseTable.N(t.Sent), MemoryReading.MiB(t.Rss), MemoryReading.MiB(t.Peak) }));
        if (final is { } f)
        {
            rows.Add(["at the end", PhaseTable.N(phase.Samples.Length), MemoryReading.MiB(f.Rss), MemoryReading.MiB(f.PeakRss)]);
        }

        if (idle is { } i)
        {
            rows.Add([$"{Idle.TotalSeconds:0} s idle after", PhaseTable.N(phase.Samples.Length), MemoryReading.MiB(i.Rss), MemoryReading.MiB(i.PeakRss)]);
        }

        return new ReportTable("Gateway memory (VmRSS read every second)", header, rows, []);
    }

    // The reading nearest each tenth of the run, with how many requests had been sent by then.
    private static IEnumerable<(TimeSpan At, long Sent, long Rss, long Peak)> Tenths(PhaseResult phase, IReadOnlyList<Reading<MemoryReading>> memory)
    {
        if (memory.Count == 0)
        {
            yield break;
        }

        var sent = phase.Samples.Select(s => s.StartTicks).Order().ToArray();
        for (var tenth = 1; tenth <= 10; tenth++)
        {
            var target = phase.Elapsed * tenth / 10;
            var reading = memory.MinBy(m => Math.Abs((m.At - target).Ticks));
            var ticks = (long)(reading.At.TotalSeconds * Stopwatch.Frequency);
            var index = Array.BinarySearch(sent, ticks);
            yield return (reading.At, index < 0 ? ~index : index + 1, reading.Value.Rss, reading.Value.PeakRss);
        }
    }

    private static string Count(PhaseResult phase, int status) => $"{phase.Samples.Count(s => s.StatusCode == status):N0}×";
}
