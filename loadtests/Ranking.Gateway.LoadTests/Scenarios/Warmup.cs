using Ranking.Gateway.LoadTests.Hosting;
using Ranking.Gateway.LoadTests.Load;

namespace Ranking.Gateway.LoadTests.Scenarios;

/// <summary>
/// Unrecorded load before measuring: a freshly started .NET process runs unoptimised code for its first
/// seconds under load (tiered JIT), which would otherwise be measured as the gateway's latency.
/// </summary>
internal static class Warmup
{
    // Pinned (--pin), each server has one CPU and warms up more slowly: after 3 s of warm-up, its closed-loop
    // throughput still rose by up to 2× over the next 5-10 s.
    public static readonly TimeSpan Length = TimeSpan.FromSeconds(CpuPinning.IsPinned ? 10 : 3);

    // A group no seed has: its cached 404 exercises the whole read path while leaving the scenario's groups
    // uncached, and it is read before the origin counting of any phase starts.
    private const string UnknownGroup = "lt-warmup";

    public static async Task GatewaysAsync(TestBed bed)
    {
        Console.Error.WriteLine($"Warming up {bed.Gateways.Count} instance(s) for {Length.TotalSeconds:0} s ...");
        var uris = bed.Gateways.Select(g => bed.RankingUri(g, UnknownGroup)).ToArray();
        await TargetAsync(bed.Client, (n, _) => (uris[n % uris.Length], 0));
    }

    public static Task TargetAsync(LoadClient client, RequestPlan plan) =>
        ClosedLoop.RunAsync(client, "warm-up", "", 16, Length, plan, seed: 0);
}
