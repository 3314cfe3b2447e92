using System.Globalization;
using System.Runtime.CompilerServices;
using Ranking.Gateway.Caching;

namespace Ranking.Gateway.Http;

/// <summary>
/// The header values of a cached answer that depend only on its entry, made once per entry (and kept as long as the
/// entry lives); those that depend on the clock too (Age, the hit's Cache-Status) are made once per second of age.
/// </summary>
internal sealed class EntryHeaders
{
    public const string CacheName = "Ranking.Gateway";

    private static readonly ConditionalWeakTable<CacheEntry, EntryHeaders> Table = [];

    private readonly CacheEntry _entry;
    private Stamp? _stamp;

    private EntryHeaders(CacheEntry entry)
    {
        _entry = entry;
        var maxAge = Seconds(entry.FreshUntil - entry.GeneratedAt);
        CacheControl = entry.StaleUntil > entry.FreshUntil
            ? $"public, max-age={maxAge}, stale-while-revalidate={Seconds(entry.StaleUntil - entry.FreshUntil)}, stale-if-error={Seconds(entry.ErrorUntil - entry.FreshUntil)}"
            : $"public, max-age={maxAge}";
    }

    /// <summary><c>public, max-age=…</c>, with the stale windows when the entry has them.</summary>
    public string CacheControl { get; }

    public static EntryHeaders Of(CacheEntry entry) =>
        Table.TryGetValue(entry, out var headers) ? headers : Table.GetValue(entry, static e => new EntryHeaders(e));

    /// <summary>Age and the hit's Cache-Status at <paramref name="now"/>.</summary>
    public Stamp At(DateTimeOffset now)
    {
        var age = Seconds(now - _entry.GeneratedAt);
        var ttl = Seconds(_entry.FreshUntil - now);
        var stamp = _stamp;
        if (stamp is null || stamp.AgeSeconds != age || stamp.TtlSeconds != ttl)
        {
            stamp = new Stamp(age, ttl, Math.Max(0, age).ToString(CultureInfo.InvariantCulture), $"{CacheName}; hit; ttl={ttl}");
            _stamp = stamp;
        }

        return stamp;
    }

    private static long Seconds(TimeSpan span) => (long)Math.Floor(span.TotalSeconds);

    /// <summary>The clock-dependent values for one second of an entry's life.</summary>
    internal sealed record Stamp(long AgeSeconds, long TtlSeconds, string Age, string HitStatus);
}
