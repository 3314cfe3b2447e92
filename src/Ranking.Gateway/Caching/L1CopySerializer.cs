using System.Buffers;
using Microsoft.Extensions.Caching.Hybrid;

namespace Ranking.Gateway.Caching;

/// <summary>
/// How HybridCache weighs an <see cref="L1Copy"/> against <c>Gateway:L1SizeLimit</c>: it serializes each item once to
/// learn its size, and an immutable item is then kept as it is (never read back: there is no distributed layer behind
/// the L1). So "serializing" writes <see cref="Weight"/> zero bytes: what the item holds in memory, worked out from its
/// lengths instead of encoding it again.
/// </summary>
internal sealed class L1CopySerializer : IHybridCacheSerializer<L1Copy>
{
    // A .NET object's header and a reference's worth, and the fixed fields of an entry and its item.
    private const int ObjectOverhead = 24;
    private const int FixedFields = 160;

    public L1Copy Deserialize(ReadOnlySequence<byte> source) =>
        throw new NotSupportedException("The L1 keeps its items as they are; nothing is read back from their weight.");

    public void Serialize(L1Copy value, IBufferWriter<byte> target)
    {
        for (var left = Weight(value.Item.Entry); left > 0;)
        {
            var span = target.GetSpan(Math.Min(left, 64 * 1024));
            var chunk = Math.Min(left, span.Length);
            span[..chunk].Clear();
            target.Advance(chunk);
            left -= chunk;
        }
    }

    /// <summary>
    /// Bytes an entry holds: its body, half as much again for its gzip and br copies (<see cref="Http.CompressedVariants"/>,
    /// read with the entry or made on a compressed hit; JSON compresses to well under a quarter each), its strings (UTF-16) and
    /// fixed fields. Ranking slices (<see cref="Ranking.RankingSlices"/>, at most a few per entry) are not counted.
    /// </summary>
    public static int Weight(CacheEntry entry)
    {
        var strings = Text(entry.ContentType) + Text(entry.ETag);
        foreach (var (name, value) in entry.Headers)
        {
            strings += Text(name) + Text(value) + ObjectOverhead;
        }

        foreach (var tag in entry.TagList)
        {
            strings += Text(tag);
        }

        return FixedFields + ObjectOverhead + entry.Body.Length + (entry.Body.Length / 2) + strings;

        static int Text(string text) => ObjectOverhead + (2 * text.Length);
    }
}
