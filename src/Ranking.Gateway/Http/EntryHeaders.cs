using System.Globalization;
using Ranking.Gateway.Caching;

namespace Ranking.Gateway.Http;

/// <summary>
/// The header values of a cached answer that depend only on its entry, made once per entry (and kept as long as the
/// entry lives); those that depend on the clock too (Age, the hit's Cache-Status) are texts of a whole number of
/// seconds, made once per number for every entry (<see cref="SecondsTexts"/>).
/// </summary>
/// <remarks>
/// Nothing here is written per hit: an object a hit made and stored in a long-lived entry's headers survives the next
/// young-generation collection and marks an old object as pointing at a young one. With 100,000 entries each hit about
/// once a second that was most hits, and the collector's pauses grew to ~200 ms (loadtests/RESULTS.md).
/// </remarks>
internal sealed class EntryHeaders
{
    public const string CacheName = "Ranking.Gateway";

    /// <summary>Bodies smaller than this are sent as they are: compressing them saves next to nothing.</summary>
    private const int MinCompressedBytes = 256;

    private static readonly SecondsTexts Ages = new(static seconds => seconds.ToString(CultureInfo.InvariantCulture));
    private static readonly SecondsTexts HitStatuses = new(static ttl => $"{CacheName}; hit; ttl={ttl}");

    private readonly CacheEntry _entry;

    public EntryHeaders(CacheEntry entry)
    {
        _entry = entry;
        Compressible = entry.Body.Length >= MinCompressedBytes && IsText(entry.ContentType)
            && !entry.Headers.Any(h => h.Key.Equals("Content-Encoding", StringComparison.OrdinalIgnoreCase)
                || (h.Key.Equals("Vary", StringComparison.OrdinalIgnoreCase) && h.Value.Contains("Accept-Encoding", StringComparison.OrdinalIgnoreCase)));
        var maxAge = Seconds(entry.FreshUntil - entry.GeneratedAt);
        CacheControl = entry.StaleUntil > entry.FreshUntil
            ? $"public, max-age={maxAge}, stale-while-revalidate={Seconds(entry.StaleUntil - entry.FreshUntil)}, stale-if-error={Seconds(entry.ErrorUntil - entry.FreshUntil)}"
            : $"public, max-age={maxAge}";
    }

    /// <summary><c>public, max-age=…</c>, with the stale windows when the entry has them.</summary>
    public string CacheControl { get; }

    /// <summary>
    /// Whether the answer is also served gzip- or br-compressed (<see cref="CompressedVariants"/>): a text body large
    /// enough to gain, that the origin did not encode, or vary by <c>Accept-Encoding</c>, itself (such an answer is
    /// kept and served as it came).
    /// </summary>
    public bool Compressible { get; }

    public static EntryHeaders Of(CacheEntry entry) => entry.Memo.Headers;

    /// <summary>Age and the hit's Cache-Status at <paramref name="now"/>.</summary>
    public Stamp At(DateTimeOffset now) =>
        new(Ages.Of(Math.Max(0, Seconds(_entry.AgeAt(now)))), HitStatuses.Of(Seconds(_entry.FreshUntil - now)));

    private static bool IsText(string contentType) =>
        contentType.StartsWith("text/", StringComparison.OrdinalIgnoreCase)
        || contentType.Contains("json", StringComparison.OrdinalIgnoreCase)
        || contentType.Contains("xml", StringComparison.OrdinalIgnoreCase)
        || contentType.Contains("javascript", StringComparison.OrdinalIgnoreCase);

    private static long Seconds(TimeSpan span) => (long)Math.Floor(span.TotalSeconds);

    /// <summary>The clock-dependent values for one second of an entry's life.</summary>
    internal readonly record struct Stamp(string Age, string HitStatus);

    // The text of each number of seconds from 0 to a day, made on first use and shared; others are made each time.
    private sealed class SecondsTexts(Func<long, string> format)
    {
        private readonly string?[] _texts = new string?[24 * 60 * 60];

        public string Of(long seconds) => seconds >= 0 && seconds < _texts.Length
            ? _texts[seconds] ??= format(seconds)
            : format(seconds);
    }
}
