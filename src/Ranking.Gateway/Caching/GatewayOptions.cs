namespace Ranking.Gateway.Caching;

/// <summary>The gateway's own configuration section, <c>Gateway</c>.</summary>
public sealed class GatewayOptions
{
    public const string Section = "Gateway";

    /// <summary>Prefix of every Redis key and channel, so several deployments can share one Redis.</summary>
    public string KeyPrefix { get; set; } = "rg:";

    /// <summary>Timeout of one Redis command; past it the read path bypasses Redis.</summary>
    public TimeSpan RedisTimeout { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>After a Redis failure, how long the gateway stops trying Redis (circuit breaker).</summary>
    public TimeSpan RedisBreakDuration { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Bytes the in-process L1 may hold, all policies together (each entry counted at its serialized size, the body and
    /// headers plus about 60 bytes, <see cref="L1ItemSerializer"/>); past it the least recently used entries are dropped, so memory stays bounded
    /// whatever number of keys is read.
    /// </summary>
    public long L1SizeLimit { get; set; } = 128L * 1024 * 1024;

    /// <summary>
    /// Refreshes of soft-purged entries one instance starts per second (<c>POST /_admin/purge</c>): a soft purge of
    /// 100,000 entries turns into a paced stream of refreshes, not 100,000 origin queries at once. Each also goes through
    /// its policy's bulkhead. A STALE read of a purged entry that finds no refresh allowed is answered STALE all the same.
    /// </summary>
    public int PurgeRefreshRate { get; set; } = 200;

    /// <summary>Named cache policies; routes and the ranking endpoint refer to them by name.</summary>
    public Dictionary<string, CachePolicy> Policies { get; set; } = new(StringComparer.OrdinalIgnoreCase);
}
