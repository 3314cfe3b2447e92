using System.Globalization;
using Ranking.Gateway.LoadTests.Load;
using Ranking.Gateway.LoadTests.Measurement;

namespace Ranking.Gateway.LoadTests.Scenarios.Overload;

/// <summary>
/// One flood against one gateway: --concurrency closed-loop connections of the load client read known groups or a
/// never-seen id per request, while a second client (connections of its own) reads known groups open loop at
/// --probe-rate. Both floods of a target come from the same generator over the same connections, so a known-id
/// flood and an unknown-id flood share the two cores the same way, and the probe's latency compares them.
/// </summary>
internal static class FloodPhase
{
    private static readonly TimeSpan ActivityInterval = TimeSpan.FromMilliseconds(50);
    private static readonly TimeSpan MemoryInterval = TimeSpan.FromSeconds(1);

    // The probe starts after the flood and stops before it, so every read it times has the whole flood beside it.
    private static readonly TimeSpan ProbeMargin = TimeSpan.FromMilliseconds(500);

    public static async Task<FloodResult> RunAsync(
        TestBed bed, FloodTarget target, bool unknownIds, LoadClient probeClient, TimeSpan duration, CancellationToken cancellationToken)
    {
        var args = bed.Args;
        var groups = args.Groups;
        var connections = args.Concurrency ?? 64;
        var kind = unknownIds ? "unknown-id flood" : "known-id flood";

        // A prefix no seeded group has (they are g1..gN), new for every flood, so no id is ever read twice.
        var prefix = $"nx{bed.RunId[^4..]}{target.Label[0]}";
        RequestPlan flood = unknownIds
            ? (n, _) => (bed.RankingUri(target.Url, $"{prefix}-{n.ToString(CultureInfo.InvariantCulture)}"), 0)
            : (_, random) =>
            {
                var group = random.Next(1, groups + 1);
                return (bed.RankingUri(target.Url, $"g{group}"), group);
            };
        RequestPlan probe = (n, _) =>
        {
            var group = 1 + (int)(RequestRandom.Uniform(args.Seed + 1, n) * groups);
            return (bed.RankingUri(target.Url, $"g{group}"), group);
        };

        var floodDescription = unknownIds
            ? $"{target.Label}: a never-seen group id per request, closed loop, {connections} connections, {duration.TotalSeconds:0.#} s"
            : $"{target.Label}: known groups g1..g{groups} at random, closed loop, {connections} connections, {duration.TotalSeconds:0.#} s";
        var probeLength = duration - 2 * ProbeMargin;
        var probeDescription = $"{target.Label}: known groups from a second client, open loop at {args.ProbeRate:N0} req/s, "
            + $"{probeLength.TotalSeconds:0.#} s inside the {kind}";
        Console.Error.WriteLine($"{target.Label}: {kind}, {connections} connections, {duration.TotalSeconds:0.#} s, known reads at {args.ProbeRate:N0} req/s beside it ...");

        await Burst.WarmConnectionsAsync(bed.Client, [target.Url], connections);
        await Burst.WarmConnectionsAsync(probeClient, [target.Url], 16);
        var before = await target.Origin.ReadSettledAsync(null, 0, TimeSpan.FromSeconds(5), cancellationToken);
        var memoryBefore = ProcessMemory.Read(target.Gateway.Id);
        var activityReader = new PgActivityReader(bed.Postgres, args.Database);

        PhaseResult? probed = null;
        PhaseResult flooded;
        IReadOnlyList<Reading<PgActivityReading>> activity;
        IReadOnlyList<Reading<MemoryReading>> memory;
        var activitySampler = PeriodicSampler<PgActivityReading>.Start(activityReader.ReadAsync, ActivityInterval);
        var memorySampler = PeriodicSampler<MemoryReading>.Start(_ => Task.FromResult(ProcessMemory.Read(target.Gateway.Id)), MemoryInterval);
        try
        {
            flooded = await ClosedLoop.RunAsync(
                bed.Client, $"{target.Label}: {kind}", floodDescription, connections, duration, flood, args.Seed,
                during: async _ =>
                {
                    await Task.Delay(ProbeMargin, cancellationToken);
                    probed = await OpenLoop.RunAsync(probeClient, $"{target.Label}: known reads in {kind}", probeDescription, args.ProbeRate, probeLength, probe, args.Seed);
                });
        }
        finally
        {
            await activitySampler.DisposeAsync();
            await memorySampler.DisposeAsync();
            activity = activitySampler.Readings;
            memory = memorySampler.Readings;
        }

        var after = await target.Origin.ReadSettledAsync(before, 0, TimeSpan.FromSeconds(10), cancellationToken);
        flooded.Origin = after.Since(before);
        return new FloodResult(target, unknownIds, flooded, probed!, activity, memoryBefore, memory);
    }
}
