namespace Ranking.Gateway.Caching.Redis;

/// <summary>
/// Stops the gateway from sending commands to a Redis that just failed, for a short break.
/// Counts wall-clock time (<paramref name="milliseconds"/>, <see cref="Environment.TickCount64"/> unless a test gives its
/// own): it guards real I/O, not cache lifetimes.
/// </summary>
internal sealed class RedisCircuitBreaker(TimeSpan breakDuration, Func<long>? milliseconds = null)
{
    private readonly Func<long> _now = milliseconds ?? (static () => Environment.TickCount64);
    private long _closedAtTicks;

    public bool IsOpen => _now() < Volatile.Read(ref _closedAtTicks);

    /// <returns>
    /// True for exactly one of the calls that found the breaker closed (so the failure is logged once, however many
    /// commands fail together).
    /// </returns>
    public bool Trip()
    {
        while (true)
        {
            var closedAt = Volatile.Read(ref _closedAtTicks);
            var now = _now();
            if (Interlocked.CompareExchange(ref _closedAtTicks, now + (long)breakDuration.TotalMilliseconds, closedAt) == closedAt)
            {
                return now >= closedAt;
            }
        }
    }
}
