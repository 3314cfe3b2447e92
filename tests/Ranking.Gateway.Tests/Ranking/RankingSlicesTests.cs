using System.Text.Json;
using Ranking.Gateway.Caching;
using Ranking.Gateway.Ranking;

namespace Ranking.Gateway.Tests.Ranking;

/// <summary>A smaller limit, cut from the cached Top-100 once per entry.</summary>
public sealed class RankingSlicesTests
{
    private static readonly DateTimeOffset Generated = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void A_slice_holds_the_first_entries_and_the_document_around_them()
    {
        var entry = Entry(10);

        var slice = RankingSlices.Of(entry, 3);

        var document = JsonSerializer.Deserialize(slice.Body, RankingJsonContext.Default.RankingDocument)!;
        Assert.Equal("g1", document.Group);
        Assert.Equal(Generated, document.GeneratedAt);
        Assert.Equal([1, 2, 3], document.Entries.Select(e => e.Rank));
        Assert.Equal(["u1", "u2", "u3"], document.Entries.Select(e => e.UserId));
    }

    [Fact]
    public void Each_limit_has_an_etag_of_its_own_derived_from_the_entrys()
    {
        var entry = Entry(10);

        Assert.Equal("\"abc-3\"", RankingSlices.Of(entry, 3).ETag);
        Assert.Equal("\"abc-4\"", RankingSlices.Of(entry, 4).ETag);
    }

    [Fact]
    public void A_slice_is_made_once_per_entry_and_limit()
    {
        var entry = Entry(10);

        Assert.Same(RankingSlices.Of(entry, 3), RankingSlices.Of(entry, 3));
        Assert.NotSame(RankingSlices.Of(entry, 3), RankingSlices.Of(Entry(10), 3));
    }

    [Fact]
    public void Only_the_first_few_limits_of_an_entry_are_kept_and_the_rest_are_sliced_per_request()
    {
        var entry = Entry(10);
        var kept = Enumerable.Range(1, RankingSlices.KeptPerEntry).Select(limit => RankingSlices.Of(entry, limit)).ToArray();

        var beyond = RankingSlices.Of(entry, RankingSlices.KeptPerEntry + 1);

        Assert.All(kept, slice => Assert.Same(slice, RankingSlices.Of(entry, JsonSerializer.Deserialize(slice.Body, RankingJsonContext.Default.RankingDocument)!.Entries.Count)));
        Assert.NotSame(beyond, RankingSlices.Of(entry, RankingSlices.KeptPerEntry + 1));
        Assert.Equal(beyond.Body, RankingSlices.Of(entry, RankingSlices.KeptPerEntry + 1).Body);
    }

    [Fact]
    public void A_limit_beyond_the_entries_gives_them_all()
    {
        var slice = RankingSlices.Of(Entry(2), 50);

        Assert.Equal(2, JsonSerializer.Deserialize(slice.Body, RankingJsonContext.Default.RankingDocument)!.Entries.Count);
    }

    private static CacheEntry Entry(int count)
    {
        var document = new RankingDocument("g1", Generated, Enumerable.Range(1, count).Select(i => new RankingEntry(i, $"u{i}", 1000 - i)).ToArray());
        var body = JsonSerializer.SerializeToUtf8Bytes(document, RankingJsonContext.Default.RankingDocument);
        return new CacheEntry(200, "application/json", body, "\"abc\"", [], Generated, Generated.AddSeconds(60), Generated.AddSeconds(660), Generated.AddSeconds(3660));
    }
}
