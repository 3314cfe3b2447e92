using System.Diagnostics;
using Ranking.Gateway.LoadTests.Measurement;

namespace Ranking.Gateway.LoadTests.Load;

/// <summary>
/// A progress line on stderr for phases longer than a few seconds: rewritten in place on a terminal, a line
/// every five seconds when redirected (CI logs).
/// </summary>
internal sealed class Progress : IAsyncDisposable
{
    private static readonly TimeSpan MinimumLength = TimeSpan.FromSeconds(3);

    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    private Progress(string name, TimeSpan length, LatencyRecorder recorder, Func<string>? extra)
    {
        _loop = ShowAsync(name, length, recorder, extra, _stop.Token);
    }

    public static Progress? Start(string name, TimeSpan length, LatencyRecorder recorder, Func<string>? extra = null) =>
        length >= MinimumLength ? new Progress(name, length, recorder, extra) : null;

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        _stop.Dispose();
    }

    private static async Task ShowAsync(string name, TimeSpan length, LatencyRecorder recorder, Func<string>? extra, CancellationToken stop)
    {
        var terminal = !Console.IsErrorRedirected;
        var every = terminal ? TimeSpan.FromSeconds(1) : TimeSpan.FromSeconds(5);
        var clock = Stopwatch.StartNew();
        long lastCount = 0;
        var lastTime = TimeSpan.Zero;
        using var timer = new PeriodicTimer(every);
        try
        {
            while (await timer.WaitForNextTickAsync(stop))
            {
                var count = recorder.Count;
                var now = clock.Elapsed;
                var rate = (count - lastCount) / (now - lastTime).TotalSeconds;
                (lastCount, lastTime) = (count, now);
                var line = $"  {name}: {now.TotalSeconds,4:0}s / {length.TotalSeconds:0}s  {count,9:N0} requests  {rate,8:N0} req/s  {recorder.Failures:N0} failed{extra?.Invoke()}";
                await Console.Error.WriteAsync(terminal ? $"\r{line,-110}" : line + Environment.NewLine);
            }
        }
        catch (OperationCanceledException)
        {
            if (terminal)
            {
                await Console.Error.WriteAsync($"\r{new string(' ', 110)}\r");
            }
        }
    }
}
