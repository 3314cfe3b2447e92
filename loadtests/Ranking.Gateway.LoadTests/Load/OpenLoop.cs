using System.Diagnostics;
using Ranking.Gateway.LoadTests.Measurement;

namespace Ranking.Gateway.LoadTests.Load;

/// <summary>
/// Requests at a fixed rate whether or not earlier ones were answered (the way real users arrive), so a
/// stalled server shows up in the percentiles instead of slowing the load down (no coordinated omission).
/// Latency counts from when the request was sent: the dispatcher wakes about once a millisecond, and counting
/// from the exact due time would add that timer's granularity to every sample. Requests the dispatcher
/// itself sent late (client starved of CPU) are counted and reported instead.
/// </summary>
internal static class OpenLoop
{
    // Each request in flight holds a socket: stay well inside the usual open-files limits (ulimit -n).
    public const int MaxInFlight = 4_000;

    private static readonly long LateTicks = Stopwatch.Frequency / 200;

    public static async Task<PhaseResult> RunAsync(
        LoadClient client, string name, string description, double rate, TimeSpan duration, RequestPlan plan, int seed,
        Func<long, Task>? during = null, AnswerLog? answers = null)
    {
        var recorder = new LatencyRecorder();
        var start = recorder.StartTimestamp;
        var interval = Stopwatch.Frequency / rate;
        var total = (long)Math.Round(rate * duration.TotalSeconds);
        var random = new Random(seed);
        var inFlight = new InFlight();
        var notSent = 0L;
        var late = 0L;
        await using (Progress.Start(name, duration, recorder, () => $"  {inFlight.Count:N0} in flight"))
        {
            var schedule = during?.Invoke(start) ?? Task.CompletedTask;
            for (long i = 0; i < total;)
            {
                var now = Stopwatch.GetTimestamp();
                var due = Math.Min(total, (long)((now - start) / interval) + 1);
                for (; i < due; i++)
                {
                    if (now - (start + (long)(i * interval)) > LateTicks)
                    {
                        late++;
                    }

                    var (uri, group) = plan(i, random);
                    if (inFlight.Count >= MaxInFlight)
                    {
                        notSent++;
                        continue;
                    }

                    inFlight.Add();
                    _ = SendAsync(client, recorder, uri, group, inFlight, answers);
                }

                await Task.Delay(1);
            }

            await Task.WhenAll(inFlight.DrainedAsync(), schedule);
        }

        return new PhaseResult(name, description, recorder.Snapshot(), Stopwatch.GetElapsedTime(start), notSent, late);
    }

    // Not kept in a list: hundreds of thousands of finished tasks would only feed the GC.
    private static async Task SendAsync(LoadClient client, LatencyRecorder recorder, Uri uri, int group, InFlight inFlight, AnswerLog? answers)
    {
        recorder.Record(await client.SendAsync(uri, group, Stopwatch.GetTimestamp(), recorder.StartTimestamp, answers));
        inFlight.Done();
    }
}
