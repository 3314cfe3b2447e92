namespace Ranking.Gateway.Caching.FreshnessPolicies;

/// <summary>
/// Until when the queue producer vouches for every cached ranking: it has queued every change it can see, and the
/// consumers keep up. This instance's copy of the producer's word, read from Redis (<see cref="RefreshQueue"/>); after
/// the word lapses it still says until when it held, which is when unchanged entries were last known good.
/// </summary>
internal sealed class QueueVouch
{
    private long _untilMs = long.MinValue;

    public bool Covers(DateTimeOffset now) => now.ToUnixTimeMilliseconds() < Volatile.Read(ref _untilMs);

    /// <summary>Until when the producer vouched (past or future); null when it never did, as far as Redis remembers.</summary>
    public DateTimeOffset? Until => Volatile.Read(ref _untilMs) is var ms && ms == long.MinValue ? null : DateTimeOffset.FromUnixTimeMilliseconds(ms);

    public void Set(DateTimeOffset? until) => Volatile.Write(ref _untilMs, until?.ToUnixTimeMilliseconds() ?? long.MinValue);
}
