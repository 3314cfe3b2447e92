namespace Ranking.Gateway.Caching.Redis;

/// <summary>
/// Stops the gateway from sending commands to a Redis that just failed, for a short break.
/// Counts wall-clock time: it guards real I/O, not cache lifetimes.
/// </summary>
internal sealed class RedisCircuitBreaker(TimeSpan breakDuration)
{
    private long _closedAtTicks;

    public bool IsOpen => Environment.TickCount64 < Volatile.Read(ref _closedAtTicks);

    /// <returns>True when this call opened the breaker (so the caller logs the failure once).</returns>
    public bool Trip()
    {
        var wasOpen = IsOpen;
        Volatile.Write(ref _closedAtTicks, Environment.TickCount64 + (long)breakDuration.TotalMilliseconds);
        return !wasOpen;
    }
}
