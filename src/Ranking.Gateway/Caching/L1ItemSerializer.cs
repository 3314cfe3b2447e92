using System.Buffers;
using Microsoft.Extensions.Caching.Hybrid;
using Ranking.Gateway.Caching.Redis;

namespace Ranking.Gateway.Caching;

/// <summary>
/// How HybridCache measures an <see cref="L1Item"/>: once per load it serializes the item to learn its size for
/// <c>Gateway:L1SizeLimit</c> (an immutable item is then kept as it is, so a hit never deserializes). The entry's Redis
/// envelope is that size: the body, its headers and a few fixed fields. There is no distributed layer behind the L1,
/// so nothing reads these bytes back but this serializer's own round trip.
/// </summary>
internal sealed class L1ItemSerializer : IHybridCacheSerializer<L1Item>
{
    public L1Item Deserialize(ReadOnlySequence<byte> source) => new(EntryCodec.Decode(source.ToArray()), LoadSource.Cache);

    public void Serialize(L1Item value, IBufferWriter<byte> target) => target.Write(EntryCodec.Encode(value.Entry));
}
