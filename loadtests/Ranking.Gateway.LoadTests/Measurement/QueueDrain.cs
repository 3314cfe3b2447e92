using System.Diagnostics;

namespace Ranking.Gateway.LoadTests.Measurement;

/// <summary>
/// Waits for a Queue-mode fleet's start-up backlog to drain: the producer's first pass queues every group, and at
/// 100,000 groups the consumers take longer than a period to get through it. Until then the mode is starting, not
/// running, and neither its cost nor its staleness is the steady one.
/// </summary>
internal static class QueueDrain
{
    private const string Length = "gateway_queue_length";

    /// <param name="threshold">Drained when the queue holds at most this many items (new changes keep arriving).</param>
    /// <returns>Whether it drained, and how long the wait took.</returns>
    public static async Task<(bool Drained, TimeSpan Waited)> WaitAsync(CostProbe probe, long threshold, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < timeout)
        {
            var lengths = (await probe.ScrapeAllAsync(cancellationToken)).Select(s => PrometheusText.Max(s, Length)).OfType<double>().ToArray();
            if (lengths.Length > 0 && lengths.Max() <= threshold)
            {
                return (true, clock.Elapsed);
            }

            await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
        }

        return (false, clock.Elapsed);
    }
}
