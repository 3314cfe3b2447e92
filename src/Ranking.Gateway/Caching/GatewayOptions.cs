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
    /// headers plus about 60 bytes, <see cref="L1CopySerializer"/>); past it the least recently used entries are dropped, so memory stays bounded
    /// whatever number of keys is read. By default a quarter of the memory the process may use (the machine's, or the
    /// container's limit), at least 64 MiB and at most 1 GiB (<see cref="DefaultL1SizeLimit"/>): 1 GiB holds about
    /// 150,000 Top-100 entries, so 100,000 hot keys are hits at memory speed.
    /// </summary>
    public long L1SizeLimit { get; set; } = DefaultL1SizeLimit();

    /// <summary>
    /// Refreshes of soft-purged entries one instance starts per second (<c>POST /_admin/purge</c>): a soft purge of
    /// 100,000 entries turns into a paced stream of refreshes, not 100,000 origin queries at once. Each also goes through
    /// its policy's bulkhead. A STALE read of a purged entry that finds no refresh allowed is answered STALE all the same.
    /// </summary>
    public int PurgeRefreshRate { get; set; } = 200;

    /// <summary>A quarter of what the garbage collector may use (memory, or the container's or heap's hard limit), from 64 MiB to 1 GiB.</summary>
    public static long DefaultL1SizeLimit() =>
        Math.Clamp(GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 4, 64L * 1024 * 1024, 1024L * 1024 * 1024);

    /// <summary>Named cache policies; routes and the ranking endpoint refer to them by name.</summary>
    public Dictionary<string, CachePolicy> Policies { get; set; } = new(StringComparer.OrdinalIgnoreCase);
}
