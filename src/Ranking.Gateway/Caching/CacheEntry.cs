using System.ComponentModel;

namespace Ranking.Gateway.Caching;

/// <summary>
/// One cached answer and its lifetime. Immutable, so the in-process L1 can hand out the same instance
/// to every caller without copying.
/// </summary>
/// <param name="GeneratedAt">
/// When the origin call that produced it started: its data is at least that new, and the compare-and-set orders entries by
/// it (an upstream ranking service's own <c>generatedAt</c>, when older).
/// </param>
/// <param name="ErrorUntil">End of the stale-if-error window (RFC 5861), counted from <paramref name="FreshUntil"/>.</param>
/// <param name="Duration">How long the origin took to produce it (probabilistic early refresh scales by it).</param>
/// <param name="InitialAge">How old the answer already was when it arrived (an upstream's <c>Age</c>).</param>
/// <param name="KeepUntil">
/// How long Redis keeps it when that is longer than <paramref name="ErrorUntil"/>: an answer with validators is kept past
/// its usable life so it can be revalidated (a 304) instead of fetched whole.
/// </param>
/// <param name="Tags">
/// The names it can be purged by besides its key (<see cref="EntryTags"/>): an upstream's tag header, a route's static
/// tags. Null when it has none.
/// </param>
[ImmutableObject(true)]
internal sealed record CacheEntry(
    int StatusCode,
    string ContentType,
    byte[] Body,
    string ETag,
    IReadOnlyList<KeyValuePair<string, string>> Headers,
    DateTimeOffset GeneratedAt,
    DateTimeOffset FreshUntil,
    DateTimeOffset StaleUntil,
    DateTimeOffset ErrorUntil,
    TimeSpan Duration = default,
    TimeSpan InitialAge = default,
    DateTimeOffset KeepUntil = default,
    EntryFlags Flags = EntryFlags.None,
    IReadOnlyList<string>? Tags = null)
{
    // Never part of its value (MemoSlot's equality is always true): equal entries stay equal whatever was made of them.
    private MemoSlot _memo;

    /// <summary>What is made from it alone and kept with it (<see cref="EntryMemo"/>).</summary>
    internal EntryMemo Memo
    {
        get
        {
            // A `with` copy starts with its original's memo: it makes its own.
            var memo = Volatile.Read(ref _memo.Value);
            if (memo is not null && ReferenceEquals(memo.Entry, this))
            {
                return memo;
            }

            var created = new EntryMemo(this);
            var found = Interlocked.CompareExchange(ref _memo.Value, created, memo);
            return found == memo ? created : found!;
        }
    }

    /// <summary>Its tags; empty when it has none.</summary>
    public IReadOnlyList<string> TagList => Tags ?? [];

    /// <summary>The gzip and br copies it was read from Redis with (made by the instance that stored it), if any.</summary>
    public Http.CompressedCopies? Copies { get; init; }

    /// <summary>Its age at <paramref name="now"/> (RFC 9111 §4.2.3): what it was when it arrived, plus its time here.</summary>
    public TimeSpan AgeAt(DateTimeOffset now) => InitialAge + (now - GeneratedAt);

    /// <summary>The end of its life in Redis.</summary>
    public DateTimeOffset RetainUntil => KeepUntil > ErrorUntil ? KeepUntil : ErrorUntil;

    /// <summary>
    /// Whether <paramref name="other"/> is this very answer read again (a new decode of the same stored entry): every
    /// field alike as Redis keeps it (times to the millisecond, <see cref="Redis.EntryCodec"/>), every header, tag and
    /// body byte alike. Its compressed copies are of the same bytes, so not compared.
    /// </summary>
    public bool SameAs(CacheEntry other) =>
        ReferenceEquals(this, other)
        || (AsStored() with { Body = other.Body, Headers = other.Headers, Tags = other.Tags, Copies = other.Copies } == other.AsStored()
            && Body.AsSpan().SequenceEqual(other.Body)
            && Headers.SequenceEqual(other.Headers)
            && TagList.SequenceEqual(other.TagList));

    private CacheEntry AsStored() => this with
    {
        GeneratedAt = ToMilliseconds(GeneratedAt),
        FreshUntil = ToMilliseconds(FreshUntil),
        StaleUntil = ToMilliseconds(StaleUntil),
        ErrorUntil = ToMilliseconds(ErrorUntil),
        KeepUntil = ToMilliseconds(KeepUntil),
    };

    private static DateTimeOffset ToMilliseconds(DateTimeOffset time) => DateTimeOffset.FromUnixTimeMilliseconds(time.ToUnixTimeMilliseconds());

    /// <summary>The value of one of its stored headers (lines joined with commas), or null.</summary>
    public string? Header(string name)
    {
        string? found = null;
        foreach (var (key, value) in Headers)
        {
            if (key.Equals(name, StringComparison.OrdinalIgnoreCase))
            {
                found = found is null ? value : found + ", " + value;
            }
        }

        return found;
    }
}

/// <summary>Holds an entry's memo outside its value: any two are equal.</summary>
internal struct MemoSlot : IEquatable<MemoSlot>
{
    public EntryMemo? Value;

    public readonly bool Equals(MemoSlot other) => true;

    public override readonly bool Equals(object? obj) => obj is MemoSlot;

    public override readonly int GetHashCode() => 0;
}

/// <summary>Where an entry's caching metadata came from.</summary>
[Flags]
internal enum EntryFlags : byte
{
    None = 0,

    /// <summary>Its caching headers are the upstream's (a proxied route): served as stored, the gateway adds no <c>Cache-Control</c>.</summary>
    UpstreamHeaders = 1,

    /// <summary>Its <c>ETag</c> is the upstream's, so a refresh can send it back as <c>If-None-Match</c>; otherwise the gateway made it.</summary>
    UpstreamETag = 2,

    /// <summary>
    /// A soft purge marked it out of date (<c>POST /_admin/purge</c>): it reads as STALE, and the refresh a read starts is
    /// paced (<see cref="PurgeRefreshes"/>).
    /// </summary>
    Purged = 4,
}
