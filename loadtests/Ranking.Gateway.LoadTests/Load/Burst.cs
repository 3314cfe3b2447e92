using System.Diagnostics;
using Ranking.Gateway.LoadTests.Measurement;

namespace Ranking.Gateway.LoadTests.Load;

/// <summary>
/// A stampede: every client is created first, parked on one start barrier, then released together, so they
/// really are in flight at once rather than trickling in as they are created.
/// </summary>
internal static class Burst
{
    public static async Task<PhaseResult> RunAsync(LoadClient client, string name, string description, int clients, Func<int, Uri> uriOf, int group)
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var recorder = new LatencyRecorder();
        var tasks = new Task[clients];
        for (var i = 0; i < clients; i++)
        {
            var uri = uriOf(i);
            tasks[i] = SendAfterAsync(gate.Task, client, recorder, uri, group);
        }

        var start = Stopwatch.GetTimestamp();
        gate.SetResult();
        await Task.WhenAll(tasks);
        return new PhaseResult(name, description, recorder.Snapshot(), Stopwatch.GetElapsedTime(start));
    }

    /// <summary>
    /// Opens about <paramref name="perTarget"/> connections to each target (cheap liveness requests, all at
    /// once), so a burst measures the gateway rather than TCP handshakes queueing in the listen backlog.
    /// </summary>
    public static async Task WarmConnectionsAsync(LoadClient client, IEnumerable<Uri> targets, int perTarget)
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var tasks = targets.SelectMany(target => Enumerable.Range(0, perTarget).Select(async _ =>
        {
            await gate.Task;
            using var response = await client.Http.GetAsync(new Uri(target, "/health/live"));
        })).ToArray();
        gate.SetResult();
        await Task.WhenAll(tasks);
    }

    private static async Task SendAfterAsync(Task gate, LoadClient client, LatencyRecorder recorder, Uri uri, int group)
    {
        await gate;
        recorder.Record(await client.SendAsync(uri, group, Stopwatch.GetTimestamp(), recorder.StartTimestamp));
    }
}
