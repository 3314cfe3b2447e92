using System.Diagnostics;
using System.Text.Json;
using Ranking.Gateway.LoadTests.Load;
using Ranking.Gateway.LoadTests.Measurement;

namespace Ranking.Gateway.LoadTests.Scenarios.Changes;

/// <summary>
/// write→visible: for each tracked write, how long after its commit returned every instance answered
/// <c>/ranking/{group}</c> with it, i.e. with the written user at a score at least the written one (a score only grows,
/// and with at most 100 users a group every user is in the Top-100). Each instance's time is when the first answer showing
/// the write was received, so a figure is late by at most one check interval.
/// </summary>
/// <remarks>
/// A write's instances that have not shown it yet are asked every 20 ms while it is young, then every tenth of its age
/// (at most every 5 s): a 1 s target is resolved to 20–100 ms, and a write a minute behind costs a request per instance
/// every 5 s. At most <see cref="ChecksPerSecond"/> requests a second go out in all, the most overdue first, so a backlog
/// of writes (a burst, or polling's minute) coarsens the resolution instead of loading a 2-core machine.
/// </remarks>
internal sealed class VisibilityChecker(HttpClient http, int instances, Func<int, int, Uri> rankingUri)
{
    public const int ChecksPerSecond = 1_500;

    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(20);
    private static readonly long MinInterval = Stopwatch.Frequency / 50;
    private static readonly long MaxInterval = 5 * Stopwatch.Frequency;

    private readonly Lock _gate = new();
    private readonly List<Tracked> _pending = [];
    private readonly List<Tracked> _all = [];
    private readonly Dictionary<string, (long Checks, long NotFresh)> _answers = [];

    public void Track(ScoreWrite write, string phase)
    {
        var tracked = new Tracked(write, phase, instances);
        lock (_gate)
        {
            _pending.Add(tracked);
            _all.Add(tracked);
        }
    }

    /// <summary>Checks until <paramref name="stopping"/> is cancelled.</summary>
    public async Task RunAsync(CancellationToken stopping)
    {
        var perTick = (int)(ChecksPerSecond * Tick.TotalSeconds);
        using var timer = new PeriodicTimer(Tick);
        try
        {
            while (await timer.WaitForNextTickAsync(stopping))
            {
                var now = Stopwatch.GetTimestamp();
                (Tracked Write, int Instance)[] due;
                lock (_gate)
                {
                    due = [.. _pending
                        .SelectMany(t => Enumerable.Range(0, instances).Where(i => t.VisibleAt[i] == 0 && t.NextCheck[i] <= now).Select(i => (t, i)))
                        .OrderBy(d => d.t.NextCheck[d.i])
                        .Take(perTick)];
                }

                await Task.WhenAll(due.Select(d => CheckAsync(d.Write, d.Instance, stopping)));
                lock (_gate)
                {
                    _pending.RemoveAll(t => t.VisibleAt.All(at => at != 0));
                }
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // The run is over; what is still pending was never seen.
        }
    }

    /// <summary>Waits until every write of <paramref name="phase"/> is visible everywhere, at most <paramref name="timeout"/>.</summary>
    /// <returns>How long it waited.</returns>
    public async Task<TimeSpan> WaitAsync(string phase, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < timeout && Pending(phase) > 0)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(100), cancellationToken);
        }

        return clock.Elapsed;
    }

    public VisibilitySummary Summary(string phase)
    {
        lock (_gate)
        {
            var tracked = _all.Where(t => t.Phase == phase).ToArray();
            var visible = tracked.Where(t => t.VisibleAt.All(at => at != 0)).ToArray();
            var seconds = visible.Select(t => Stopwatch.GetElapsedTime(t.Write.CommittedTimestamp, t.VisibleAt.Max()).TotalSeconds).Order().ToArray();
            var (checks, notFresh) = _answers.GetValueOrDefault(phase);
            return new VisibilitySummary(
                tracked.Length,
                tracked.Length - visible.Length,
                seconds.Length > 0 ? Quantiles.At(seconds, 0.5) : double.NaN,
                seconds.Length > 0 ? Quantiles.At(seconds, 0.99) : double.NaN,
                seconds.Length > 0 ? seconds[^1] : double.NaN,
                visible.Length == tracked.Length && visible.Length > 0 ? visible.Max(t => t.VisibleAt.Max()) : null,
                checks,
                notFresh);
        }
    }

    private int Pending(string phase)
    {
        lock (_gate)
        {
            return _pending.Count(t => t.Phase == phase);
        }
    }

    private async Task CheckAsync(Tracked tracked, int instance, CancellationToken stopping)
    {
        var shown = false;
        var fresh = false;
        try
        {
            using var response = await http.GetAsync(rankingUri(instance, tracked.Write.Group), stopping);
            var body = await response.Content.ReadAsByteArrayAsync(stopping);
            fresh = response.Headers.TryGetValues("X-Cache-Status", out var values) && values.FirstOrDefault() == "FRESH";
            shown = response.IsSuccessStatusCode && Shows(body, $"u{tracked.Write.User}", tracked.Write.Score);
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException or JsonException or KeyNotFoundException or InvalidOperationException
            || (ex is TaskCanceledException && !stopping.IsCancellationRequested))
        {
            // Not shown; asked again at the next interval.
        }

        var now = Stopwatch.GetTimestamp();
        lock (_gate)
        {
            var (checks, notFresh) = _answers.GetValueOrDefault(tracked.Phase);
            _answers[tracked.Phase] = (checks + 1, notFresh + (fresh ? 0 : 1));
            if (shown)
            {
                tracked.VisibleAt[instance] = now;
            }
            else
            {
                tracked.NextCheck[instance] = now + Math.Clamp((now - tracked.Write.CommittedTimestamp) / 10, MinInterval, MaxInterval);
            }
        }
    }

    private static bool Shows(byte[] body, string user, long score)
    {
        using var document = JsonDocument.Parse(body);
        return document.RootElement.GetProperty("entries").EnumerateArray()
            .Any(e => e.GetProperty("userId").ValueEquals(user) && e.GetProperty("score").GetInt64() >= score);
    }

    private sealed class Tracked(ScoreWrite write, string phase, int instances)
    {
        public ScoreWrite Write { get; } = write;

        public string Phase { get; } = phase;

        /// <summary>Per instance: when the first answer showing the write was received (Stopwatch timestamp), 0 until then.</summary>
        public long[] VisibleAt { get; } = new long[instances];

        public long[] NextCheck { get; } = [.. Enumerable.Repeat(write.CommittedTimestamp + MinInterval, instances)];
    }
}

/// <summary>The write→visible times of one phase's tracked writes, seconds.</summary>
/// <param name="NotVisible">Tracked writes some instance never answered with.</param>
/// <param name="AllVisibleAt">When the last of them became visible everywhere (Stopwatch timestamp), or null while some are not.</param>
/// <param name="Checks">Requests the checker sent for the phase's writes.</param>
/// <param name="NotFresh">Of those, answers not marked FRESH (a STALE read revalidates, so the checker itself may have made a change visible).</param>
internal sealed record VisibilitySummary(int Tracked, int NotVisible, double P50, double P99, double Max, long? AllVisibleAt, long Checks, long NotFresh);
