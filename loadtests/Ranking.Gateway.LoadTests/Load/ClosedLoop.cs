using System.Diagnostics;
using Ranking.Gateway.LoadTests.Measurement;

namespace Ranking.Gateway.LoadTests.Load;

/// <summary>
/// A fixed number of clients, each sending its next request as soon as the previous one is answered (finds the
/// peak), for <c>duration</c> or until <c>count</c> requests were sent.
/// </summary>
internal static class ClosedLoop
{
    public static async Task<PhaseResult> RunAsync(
        LoadClient client, string name, string description, int concurrency, TimeSpan duration, RequestPlan plan, int seed,
        Func<long, Task>? during = null, long count = long.MaxValue)
    {
        var recorder = new LatencyRecorder();
        var start = recorder.StartTimestamp;
        var end = start + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        long next = -1;
        await using (Progress.Start(name, duration, recorder))
        {
            var workers = Enumerable.Range(0, concurrency).Select(worker => Task.Run(async () =>
            {
                var random = new Random(seed + worker);
                while (Stopwatch.GetTimestamp() < end)
                {
                    var n = Interlocked.Increment(ref next);
                    if (n >= count)
                    {
                        break;
                    }

                    var (uri, group) = plan(n, random);
                    recorder.Record(await client.SendAsync(uri, group, Stopwatch.GetTimestamp(), start));
                }
            }));
            await Task.WhenAll([.. workers, during?.Invoke(start) ?? Task.CompletedTask]);
        }

        return new PhaseResult(name, description, recorder.Snapshot(), Stopwatch.GetElapsedTime(start));
    }
}
