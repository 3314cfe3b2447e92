namespace Ranking.Gateway.Refresh.Queue;

/// <summary>
/// Until when the queue producer vouches for every cached ranking: it has queued every change it can see, and the
/// consumers keep up. This instance's copy of the producer's word, read from Redis (<see cref="RefreshQueue"/>).
/// </summary>
internal sealed class QueueVouch
{
    private long _untilMs = long.MinValue;

    public bool Covers(DateTimeOffset now) => now.ToUnixTimeMilliseconds() < Volatile.Read(ref _untilMs);

    public void Set(DateTimeOffset? until) => Volatile.Write(ref _untilMs, until?.ToUnixTimeMilliseconds() ?? long.MinValue);
}
