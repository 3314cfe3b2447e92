using Ranking.Gateway.LoadTests.Load;
using Ranking.Gateway.LoadTests.Measurement;

namespace Ranking.Gateway.LoadTests.Scenarios;

/// <summary>A Zipf-skewed read mix over the groups, open loop at a rate or closed loop, spread over the instances, origin queries counted.</summary>
internal static class SteadyLoad
{
    /// <summary>Reads every group g1..gN once, spread over the instances: the MISS path, and a warm cache for the mix.</summary>
    public static async Task<PhaseResult> FillAsync(TestBed bed, int groups, CancellationToken cancellationToken)
    {
        var instances = bed.Gateways;
        Console.Error.WriteLine($"fill: reading each of {groups:N0} groups once ...");
        var before = await bed.Origin.ReadSettledAsync(null, 0, TimeSpan.FromSeconds(5), cancellationToken);
        var phase = await ClosedLoop.RunAsync(
            bed.Client, "fill", $"each of the {groups:N0} groups read once (MISS path), 32 clients, {instances.Count} instance(s)",
            32, TimeSpan.FromMinutes(10), (n, _) => (bed.RankingUri(instances[(int)(n % instances.Count)], $"g{n + 1}"), (int)n + 1),
            bed.Args.Seed, count: groups);
        var after = await bed.Origin.ReadSettledAsync(before, 0, bed.Args.OriginDelay + TimeSpan.FromSeconds(10), cancellationToken);
        phase.Origin = after.Since(before);
        return phase;
    }

    public static async Task<PhaseResult> RunAsync(
        TestBed bed, string name, int groups, double? rate, int? concurrency, TimeSpan duration, CancellationToken cancellationToken,
        Func<long, Task>? during = null)
    {
        var args = bed.Args;
        var zipf = new ZipfSampler(groups, args.Zipf);
        var instances = bed.Gateways;
        RequestPlan plan = (n, _) =>
        {
            var group = zipf.Next(RequestRandom.Uniform(args.Seed, n));
            return (bed.RankingUri(instances[(int)(n % instances.Count)], $"g{group}"), group);
        };

        var load = rate is { } perSecond ? $"open loop at {perSecond:N0} req/s" : $"closed loop, {concurrency} clients";
        var description = $"Zipf s={args.Zipf:0.##} over {groups:N0} groups, {load}, {instances.Count} instance(s), {duration.TotalSeconds:0.#} s";
        Console.Error.WriteLine($"{name}: {description} ...");

        await Burst.WarmConnectionsAsync(bed.Client, instances, concurrency ?? 64);
        var before = await bed.Origin.ReadSettledAsync(null, 0, TimeSpan.FromSeconds(5), cancellationToken);
        var phase = rate is { } r
            ? await OpenLoop.RunAsync(bed.Client, name, description, r, duration, plan, args.Seed, during)
            : await ClosedLoop.RunAsync(bed.Client, name, description, concurrency ?? 32, duration, plan, args.Seed, during);
        var after = await bed.Origin.ReadSettledAsync(before, 0, args.OriginDelay + TimeSpan.FromSeconds(10), cancellationToken);
        phase.Origin = after.Since(before);
        return phase;
    }
}
