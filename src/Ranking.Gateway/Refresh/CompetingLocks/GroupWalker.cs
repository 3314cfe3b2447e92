using Microsoft.Extensions.Options;
using Ranking.Gateway.Hosting;
using Ranking.Gateway.Ranking;

namespace Ranking.Gateway.Refresh.CompetingLocks;

/// <summary>
/// Architecture 1: every instance, every period, walks all groups a page at a time and tries each group's lock for
/// that period; the winner recomputes the group, the others move on at once. Exactly one recompute per group per
/// period across the fleet, at the price the source document names: lock traffic grows with groups × instances.
/// </summary>
/// <remarks>
/// Periods are numbered on the <see cref="TimeProvider"/>'s clock (period n starts at n × Period since the Unix
/// epoch), so instances agree on which period it is; each instance walks at its own random offset into the period.
/// </remarks>
internal sealed partial class GroupWalker(
    GroupCatalog catalog,
    WalkLocks locks,
    GroupRefresher refresher,
    RefreshMetrics metrics,
    IOptions<RankingOptions> options,
    TimeProvider time,
    ILogger<GroupWalker> logger)
{
    private long _walks;

    /// <summary>Walks this instance has finished.</summary>
    public long Walks => Interlocked.Read(ref _walks);

    public async Task RunAsync(CancellationToken stopping)
    {
        var period = options.Value.Refresh.Period;
        var offset = TimeSpan.FromTicks((long)(Random.Shared.NextDouble() * period.Ticks / 2));
        var number = PeriodOf(time.GetUtcNow(), period);
        while (!stopping.IsCancellationRequested)
        {
            var walked = await WalkAsync(number, stopping);

            // The next period; or, when this walk overran it, the current one.
            number = Math.Max(walked + 1, PeriodOf(time.GetUtcNow(), period));
            // Until the next walk's time, a tenth of a period at a time: a timer is relative to when it is armed, and one
            // armed just after the clock moved (a test's clock moves in steps) would wake that much late.
            var next = DateTimeOffset.FromUnixTimeMilliseconds(number * (long)period.TotalMilliseconds) + offset;
            while (!stopping.IsCancellationRequested && time.GetUtcNow() < next)
            {
                var step = TimeSpan.FromTicks(Math.Clamp((next - time.GetUtcNow()).Ticks, 0, period.Ticks / 10));
                var due = Task.Delay(step, time, stopping);
                if (time.GetUtcNow() < next)
                {
                    await due;
                }
            }
        }
    }

    /// <summary>One walk over all groups for period <paramref name="number"/>. Failures are logged, never thrown.</summary>
    /// <returns>The period the walk ended in (a later one when it ran past the end of its own).</returns>
    public async Task<long> WalkAsync(long number, CancellationToken stopping)
    {
        var settings = options.Value.Refresh;
        var started = time.GetTimestamp();
        try
        {
            await foreach (var page in catalog.PagesAsync(stopping))
            {
                // A walk that runs into the next period takes that period's locks for the rest of its groups: the other
                // instances are walking it already, and a recompute for a period that has passed would be one too many.
                number = Math.Max(number, PeriodOf(time.GetUtcNow(), settings.Period));
                var won = await locks.TryTakeAsync(page, number, settings.Period);
                metrics.LockAttempts("acquired", won.Count(w => w == true));
                metrics.LockAttempts("busy", won.Count(w => w == false));
                metrics.LockAttempts("failed", won.Count(w => w is null));
                var winners = page.Where((_, i) => won[i] == true);
                await Parallel.ForEachAsync(winners, new ParallelOptions { MaxDegreeOfParallelism = settings.Concurrency, CancellationToken = stopping }, async (group, _) =>
                {
                    var refreshed = await refresher.RefreshAsync(group);
                    metrics.Group(RefreshMode.CompetingLocks, refreshed.Outcome);
                });
            }
        }
        catch (Exception ex) when (!stopping.IsCancellationRequested)
        {
            // The groups not reached this period age into the lazy path; the next period walks again.
            Log.WalkFailed(logger, number, ex);
        }

        metrics.Cycle(RefreshMode.CompetingLocks, time.GetElapsedTime(started));
        Interlocked.Increment(ref _walks);
        return number;
    }

    private static long PeriodOf(DateTimeOffset now, TimeSpan period) => now.ToUnixTimeMilliseconds() / (long)period.TotalMilliseconds;

    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.WalkFailed, Level = LogLevel.Warning, Message = "The walk over all groups for period {Period} failed; it is tried again next period.")]
        public static partial void WalkFailed(ILogger logger, long period, Exception exception);
    }
}
