using System.Text;
using Ranking.Gateway.Caching;
using Ranking.Gateway.Http;

namespace Ranking.Gateway.Tests.Caching;

/// <summary>
/// What is made from an entry (its header values, compressed copies, slices) is kept in the entry itself, made once, is
/// never part of its value, and a <c>with</c> copy makes its own.
/// </summary>
public sealed class EntryMemoTests
{
    private static readonly DateTimeOffset Generated = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void What_is_made_from_an_entry_is_made_once()
    {
        var entry = Entry();

        Assert.Same(EntryHeaders.Of(entry), EntryHeaders.Of(entry));
        Assert.Same(entry.Memo.Variants.Get(ContentCoding.Gzip), entry.Memo.Variants.Get(ContentCoding.Gzip));
    }

    [Fact]
    public void A_copy_made_with_with_makes_its_own_and_equal_entries_stay_equal()
    {
        var entry = Entry();
        var headers = EntryHeaders.Of(entry);
        var longer = entry with { FreshUntil = Generated.AddSeconds(120) };

        Assert.Equal("public, max-age=60, stale-while-revalidate=540, stale-if-error=3540", headers.CacheControl);
        Assert.Equal("public, max-age=120, stale-while-revalidate=480, stale-if-error=3480", EntryHeaders.Of(longer).CacheControl);
        Assert.Same(headers, EntryHeaders.Of(entry));
        var same = entry with { };
        _ = same.Memo.Variants;
        Assert.Equal(entry with { FreshUntil = entry.FreshUntil }, entry);
        Assert.Equal(same, entry);
        Assert.Equal(same.GetHashCode(), entry.GetHashCode());
    }

    private static CacheEntry Entry() => new(
        200, "application/json", Encoding.UTF8.GetBytes("{\"a\":1}"), "\"abc\"", [],
        Generated, Generated.AddSeconds(60), Generated.AddSeconds(600), Generated.AddSeconds(3600));
}
