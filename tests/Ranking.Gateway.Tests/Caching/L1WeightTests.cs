using System.Buffers;
using System.Text;
using Ranking.Gateway.Caching;

namespace Ranking.Gateway.Tests.Caching;

/// <summary>
/// What the L1 counts an entry as against <c>Gateway:L1SizeLimit</c>: its body, half again for the compressed copies a
/// hit may make of it, its strings; worked out from lengths, and written as that many bytes for HybridCache to count.
/// </summary>
public sealed class L1WeightTests
{
    private static readonly DateTimeOffset Generated = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void An_entry_weighs_its_body_half_again_and_its_strings()
    {
        var small = Entry(body: 1_000, headerValue: "x");
        var large = Entry(body: 10_000, headerValue: "x");
        var longHeader = Entry(body: 1_000, headerValue: new string('x', 1_001));

        Assert.Equal(13_500, L1CopySerializer.Weight(large) - L1CopySerializer.Weight(small)); // 9,000 bytes of body × 1.5
        Assert.Equal(2_000, L1CopySerializer.Weight(longHeader) - L1CopySerializer.Weight(small)); // 1,000 more UTF-16 chars
        Assert.InRange(L1CopySerializer.Weight(small), 1_500, 2_000);
    }

    [Fact]
    public void HybridCache_is_handed_exactly_the_weight_to_count()
    {
        var item = new L1Item(Entry(body: 70_000, headerValue: "x"), LoadSource.Cache);
        var written = new ArrayBufferWriter<byte>(16);

        new L1CopySerializer().Serialize(new L1Copy(item, DateTimeOffset.MaxValue), written);

        Assert.Equal(L1CopySerializer.Weight(item.Entry), written.WrittenCount);
    }

    [Fact]
    public void The_L1_limit_defaults_to_a_quarter_of_the_memory_the_process_may_use_from_64_MiB_to_1_GiB()
    {
        var quarter = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 4;

        Assert.Equal(Math.Clamp(quarter, 64L << 20, 1L << 30), new GatewayOptions().L1SizeLimit);
        Assert.InRange(new GatewayOptions().L1SizeLimit, 64L << 20, 1L << 30);
    }

    private static CacheEntry Entry(int body, string headerValue) => new(
        200, "application/json", Encoding.UTF8.GetBytes(new string('a', body)), "\"e\"", [new("X-Test", headerValue)],
        Generated, Generated.AddSeconds(60), Generated.AddSeconds(660), Generated.AddSeconds(3660));
}
