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

    public static async Task RunAsync(string name)
    {
        var benchmarks = new FreshHitBenchmarks();
        benchmarks.Setup();
        Func<Task<int>> hit = name switch
        {
            "bare" => benchmarks.Bare,
            "ranking" => benchmarks.Ranking,
            "ranking-304" => benchmarks.RankingNotModified,
            "ranking-br" => benchmarks.RankingBrotli,
            "proxy" => benchmarks.Proxy,
            "proxy-304" => benchmarks.ProxyNotModified,
            _ => throw new ArgumentException($"Unknown case '{name}'."),
        };
        for (var i = 0; i < 2_000; i++)
        {
            await hit();
        }

        using var sampler = new AllocationSampler();
        for (var i = 0; i < 50_000; i++)
        {
            await hit();
        }

        foreach (var (type, count) in sampler._samples.OrderByDescending(s => s.Value).Take(40))
        {
            Console.WriteLine($"{count,6}  {type}");
        }

        benchmarks.Cleanup();
    }

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
