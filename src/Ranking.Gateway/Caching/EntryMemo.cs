using System.Collections.Concurrent;
using Ranking.Gateway.Http;

namespace Ranking.Gateway.Caching;

/// <summary>
/// What is made from one entry alone and kept as long as it lives (<see cref="CacheEntry.Memo"/>): its computed header
/// values, its body's compressed copies, its ranking slices, and the digest of its bytes when this instance stored it.
/// Each is made on first use, once.
/// </summary>
/// <remarks>
/// A field of the entry, not a side table keyed by it: a <c>ConditionalWeakTable</c> holds a handle per key that every
/// garbage collection, the young ones included, walks — with 100,000 entries in L1 that was ~15 ms added to every
/// young-generation pause, the FRESH hit's p99 (loadtests/RESULTS.md).
/// </remarks>
internal sealed class EntryMemo(CacheEntry entry)
{
    private EntryHeaders? _headers;
    private CompressedVariants? _variants;
    private ConcurrentDictionary<int, CompressedVariants>? _slices;
    private string? _storedDigest;

    /// <summary>The entry this memo was made for (a <c>with</c> copy of it gets a memo of its own).</summary>
    public CacheEntry Entry => entry;

    public EntryHeaders Headers => Once(ref _headers, static e => new EntryHeaders(e));

    /// <summary>The entry's body and its compressed copies (those it was read with, else made on first ask).</summary>
    public CompressedVariants Variants => Once(ref _variants, static e => new CompressedVariants(e.Body, e.ETag, e.Copies));

    /// <summary>What its bytes hash to in Redis, when this instance wrote them (<see cref="Redis.RedisEntryStore.DigestAsync"/>).</summary>
    public string? StoredDigest { get => Volatile.Read(ref _storedDigest); set => Volatile.Write(ref _storedDigest, value); }

    /// <summary>Ranking slices by limit (<see cref="Ranking.RankingSlices"/>).</summary>
    public ConcurrentDictionary<int, CompressedVariants> Slices => Once(ref _slices, static _ => new());

    private T Once<T>(ref T? field, Func<CacheEntry, T> make)
        where T : class
    {
        if (Volatile.Read(ref field) is { } made)
        {
            return made;
        }

        var created = make(entry);
        return Interlocked.CompareExchange(ref field, created, null) ?? created;
    }
}
