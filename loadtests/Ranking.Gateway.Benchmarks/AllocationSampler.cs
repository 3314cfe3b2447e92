using System.Collections.Concurrent;
using System.Diagnostics.Tracing;

namespace Ranking.Gateway.Benchmarks;

/// <summary>
/// Which types a case allocates, sampled by the runtime's allocation ticks (one per ~100 KB allocated, naming the type
/// that crossed it): <c>--allocations &lt;case&gt;</c> runs the case many times and prints the types, most sampled first.
/// A finder for what to remove, not a measurement; the benchmark measures.
/// </summary>
internal sealed class AllocationSampler : EventListener
{
    private readonly ConcurrentDictionary<string, int> _samples = new();

    /// <summary>Bytes allocated per hit, every case, exact (<c>GC.GetTotalAllocatedBytes(precise: true)</c> over many hits): a quick check between benchmark runs.</summary>
    public static async Task BytesAsync()
    {
        var benchmarks = new FreshHitBenchmarks();
        benchmarks.Setup();
        foreach (var name in Cases)
        {
            var hit = Case(benchmarks, name);
            await RepeatAsync(hit, 2_000);
            const int Hits = 20_000;
            var before = GC.GetTotalAllocatedBytes(precise: true);
            await RepeatAsync(hit, Hits);

            Console.WriteLine($"{name,-12} {(GC.GetTotalAllocatedBytes(precise: true) - before) / (double)Hits,9:N1} B/hit");
        }

        benchmarks.Cleanup();
    }

    public static async Task RunAsync(string name)
    {
        var benchmarks = new FreshHitBenchmarks();
        benchmarks.Setup();
        var hit = Case(benchmarks, name);
        await RepeatAsync(hit, 2_000);
        using var sampler = new AllocationSampler();
        await RepeatAsync(hit, 50_000);

        foreach (var (type, count) in sampler._samples.OrderByDescending(s => s.Value).Take(40))
        {
            Console.WriteLine($"{count,6}  {type}");
        }

        benchmarks.Cleanup();
    }

    private static async Task RepeatAsync(Func<Task<int>> hit, int times)
    {
        for (var i = 0; i < times; i++)
        {
            await hit();
        }
    }

    private static readonly string[] Cases = ["bare", "ranking", "ranking-limit", "ranking-304", "ranking-br", "proxy", "proxy-304"];

    private static Func<Task<int>> Case(FreshHitBenchmarks benchmarks, string name) =>
        name switch
        {
            "bare" => benchmarks.Bare,
            "ranking" => benchmarks.Ranking,
            "ranking-limit" => benchmarks.RankingLimit,
            "ranking-304" => benchmarks.RankingNotModified,
            "ranking-br" => benchmarks.RankingBrotli,
            "proxy" => benchmarks.Proxy,
            "proxy-304" => benchmarks.ProxyNotModified,
            _ => throw new ArgumentException($"Unknown case '{name}'; one of {string.Join(", ", Cases)}."),
        };

    protected override void OnEventSourceCreated(EventSource source)
    {
        if (source.Name == "Microsoft-Windows-DotNETRuntime")
        {
            EnableEvents(source, EventLevel.Verbose, (EventKeywords)0x1);
        }
    }

    protected override void OnEventWritten(EventWrittenEventArgs e)
    {
        if (e.EventName?.StartsWith("GCAllocationTick", StringComparison.Ordinal) == true && e.PayloadNames is { } names)
        {
            var type = e.Payload![names.IndexOf("TypeName")] as string ?? "?";
            _samples.AddOrUpdate(type, 1, static (_, n) => n + 1);
        }
    }
}
