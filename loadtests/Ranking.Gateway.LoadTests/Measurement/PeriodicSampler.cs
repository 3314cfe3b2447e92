using System.Diagnostics;

namespace Ranking.Gateway.LoadTests.Measurement;

/// <summary>
/// Reads a value at once and then every interval until disposed, keeping each reading with when it was taken
/// (relative to a phase's start, so readings line up with the phase's samples). A reading that fails is left out.
/// </summary>
internal sealed class PeriodicSampler<T> : IAsyncDisposable
    where T : struct
{
    private readonly List<Reading<T>> _readings = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    private PeriodicSampler(Func<CancellationToken, Task<T?>> read, TimeSpan interval, long start)
    {
        _loop = RunAsync(read, interval, start, _stop.Token);
    }

    /// <summary>The readings so far; complete once disposed.</summary>
    public IReadOnlyList<Reading<T>> Readings
    {
        get
        {
            lock (_readings)
            {
                return [.. _readings];
            }
        }
    }

    /// <param name="read">One reading; null when there is nothing to read (it is left out).</param>
    /// <param name="start">Stopwatch timestamp readings are timed from (default: now).</param>
    public static PeriodicSampler<T> Start(Func<CancellationToken, Task<T?>> read, TimeSpan interval, long? start = null) =>
        new(read, interval, start ?? Stopwatch.GetTimestamp());

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        _stop.Dispose();
    }

    private async Task RunAsync(Func<CancellationToken, Task<T?>> read, TimeSpan interval, long start, CancellationToken stop)
    {
        // Off the caller's thread, so the first read does not delay the load it watches.
        await Task.Yield();
        using var timer = new PeriodicTimer(interval);
        try
        {
            do
            {
                if (await read(stop) is { } value)
                {
                    lock (_readings)
                    {
                        _readings.Add(new Reading<T>(Stopwatch.GetElapsedTime(start), value));
                    }
                }
            }
            while (await timer.WaitForNextTickAsync(stop));
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // Disposed: sampling is over.
        }
    }
}
