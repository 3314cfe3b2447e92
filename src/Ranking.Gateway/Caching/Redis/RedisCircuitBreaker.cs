namespace Ranking.Gateway.Caching.Redis;

/// <summary>
/// Stops the gateway from sending commands to a Redis that just failed, for a short break.
/// Counts wall-clock time: it guards real I/O, not cache lifetimes.
/// </summary>
internal sealed class RedisCircuitBreaker(TimeSpan breakDuration)
{
    private long _closedAtTicks;

    public bool IsOpen => Environment.TickCount64 < Volatile.Read(ref _closedAtTicks);

    /// <returns>
    /// True for exactly one of the calls that found the breaker closed (so the failure is logged once, however many
    /// commands fail together).
    /// </returns>
    public bool Trip()
    {
        while (true)
        {
            var closedAt = Volatile.Read(ref _closedAtTicks);
            var now = Environment.TickCount64;
            if (Interlocked.CompareExchange(ref _closedAtTicks, now + (long)breakDuration.TotalMilliseconds, closedAt) == closedAt)
            {
                return now >= closedAt;
            }
        }
    }
}
