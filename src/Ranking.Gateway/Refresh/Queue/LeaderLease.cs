using StackExchange.Redis;

namespace Ranking.Gateway.Refresh.Queue;

/// <summary>
/// The producer's lease: one Redis key holding the leader's name, with an expiry the leader keeps renewing. When the
/// leader dies, the key expires and another instance takes it within one lease; a leader that stops cleanly gives
/// it up at once. Expiry is Redis' clock, so it measures real time whatever the gateway's clock says.
/// </summary>
internal sealed class LeaderLease(IConnectionMultiplexer redis, RefreshQueue queue, RefreshInstance instance)
{
    // Renews the lease if we hold it, takes it if nobody does; 1 when we hold it afterwards.
    private const string HoldScript = """
        local holder = redis.call('GET', KEYS[1])
        if holder == ARGV[1] then
          redis.call('PEXPIRE', KEYS[1], ARGV[2])
          return 1
        end
        if not holder then
          redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
          return 1
        end
        return 0
        """;

    private const string ReleaseScript = """
        if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
        return 0
        """;

    /// <returns>Whether this instance holds the lease for the next <paramref name="duration"/>.</returns>
    public async Task<bool> HoldAsync(TimeSpan duration) =>
        (long)await redis.GetDatabase().ScriptEvaluateAsync(HoldScript, [queue.Leader], [instance.Name, (long)duration.TotalMilliseconds]) == 1;

    public Task ReleaseAsync() => redis.GetDatabase().ScriptEvaluateAsync(ReleaseScript, [queue.Leader], [instance.Name]);
}
