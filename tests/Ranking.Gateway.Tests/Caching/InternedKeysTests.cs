using Microsoft.Extensions.Time.Testing;
using Ranking.Gateway.Caching;

namespace Ranking.Gateway.Tests.Caching;

/// <summary>
/// Keys read again are the same string; past its capacity the table keeps what it holds and gives other keys strings of
/// their own (which die young) until it may start again, so more keys than it holds do not make it churn.
/// </summary>
public sealed class InternedKeysTests
{
    [Fact]
    public void A_key_read_again_is_the_same_string()
    {
        var keys = new InternedKeys(4);

        Assert.Same(keys.Get("ranking:g1".AsSpan()), keys.Get("ranking:g1".AsSpan()));
    }

    [Fact]
    public void A_full_table_keeps_its_keys_and_gives_others_their_own_strings_until_it_may_start_again()
    {
        var time = new FakeTimeProvider();
        var keys = new InternedKeys(2, time);
        var first = keys.Get("g1".AsSpan());
        keys.Get("g2".AsSpan());

        var other = keys.Get("g3".AsSpan());
        Assert.Equal("g3", other);
        Assert.NotSame(other, keys.Get("g3".AsSpan()));
        Assert.Same(first, keys.Get("g1".AsSpan()));

        // Still full a minute on: a restart makes every string added after it long-lived, so it is rare.
        time.Advance(TimeSpan.FromMinutes(1));
        Assert.NotSame(keys.Get("g3".AsSpan()), keys.Get("g3".AsSpan()));

        // Ten minutes on, the table starts again with what is read next: it follows a hot set that moved.
        time.Advance(TimeSpan.FromMinutes(9));
        var moved = keys.Get("g3".AsSpan());
        Assert.Same(moved, keys.Get("g3".AsSpan()));
        Assert.NotSame(first, keys.Get("g1".AsSpan()));
    }
}
