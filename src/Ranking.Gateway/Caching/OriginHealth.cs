namespace Ranking.Gateway.Caching;

/// <summary>
/// When an origin last answered on this instance (any policy, any caller: reads, refreshes, batches). A background
/// mode tells a failing origin from a failing item by it: when nothing has answered for a while, every failure is the
/// origin's, and no item is blamed for it.
/// </summary>
internal sealed class OriginHealth
{
    private long _lastAnswer = long.MinValue;

    public void Answered() => Volatile.Write(ref _lastAnswer, Environment.TickCount64);

    /// <summary>Whether an origin answered within <paramref name="window"/> (wall clock) before now.</summary>
    public bool AnsweredWithin(TimeSpan window) =>
        Volatile.Read(ref _lastAnswer) is var last && last != long.MinValue && Environment.TickCount64 - last <= (long)window.TotalMilliseconds;
}
