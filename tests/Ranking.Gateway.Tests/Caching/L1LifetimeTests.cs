using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Ranking.Gateway.Caching;
using Ranking.Gateway.Tests.Infrastructure;

namespace Ranking.Gateway.Tests.Caching;

/// <summary>
/// How long the L1 keeps a load (<see cref="LocalCache.KeepFor"/>): a FRESH entry until its fresh window ends, at most
/// <c>L1Max</c>; anything else, or a fresh window shorter than <c>L1</c>, for <c>L1</c>; nothing with <c>L1</c> 0.
/// </summary>
public sealed class L1LifetimeTests(TestDatabase database) : OneGatewayTest(database)
{
    private static readonly CachePolicy Policy = new() { L1 = TimeSpan.FromSeconds(2), L1Max = TimeSpan.FromMinutes(5) };

    [Fact]
    public void A_fresh_entry_is_kept_until_its_fresh_window_ends_at_most_L1Max()
    {
        var l1 = Host.Services.GetRequiredService<LocalCache>();

        Assert.Equal(TimeSpan.FromSeconds(40), l1.KeepFor(Loaded(freshFor: TimeSpan.FromSeconds(40)), Policy));
        Assert.Equal(TimeSpan.FromMinutes(5), l1.KeepFor(Loaded(freshFor: TimeSpan.FromHours(1)), Policy));
        Assert.Equal(TimeSpan.FromSeconds(40), l1.KeepFor(Loaded(freshFor: TimeSpan.FromSeconds(40), LoadSource.Origin), Policy));
    }

    [Fact]
    public void Anything_else_is_kept_for_L1_and_nothing_without_an_L1()
    {
        var l1 = Host.Services.GetRequiredService<LocalCache>();

        Assert.Equal(TimeSpan.FromSeconds(2), l1.KeepFor(Loaded(freshFor: TimeSpan.FromSeconds(1)), Policy));
        Assert.Equal(TimeSpan.FromSeconds(2), l1.KeepFor(Loaded(freshFor: -TimeSpan.FromSeconds(30)), Policy));
        Assert.Equal(TimeSpan.FromSeconds(2), l1.KeepFor(Loaded(freshFor: TimeSpan.FromSeconds(40), LoadSource.Bypass), Policy));
        Assert.Equal(TimeSpan.FromSeconds(2), l1.KeepFor(Loaded(freshFor: TimeSpan.FromSeconds(40), LoadSource.StaleIfError), Policy));
        Assert.Equal(TimeSpan.FromSeconds(2), l1.KeepFor(Loaded(freshFor: TimeSpan.FromSeconds(40)), Policy with { L1Max = TimeSpan.FromSeconds(1) }));
        Assert.Equal(TimeSpan.Zero, l1.KeepFor(Loaded(freshFor: TimeSpan.FromSeconds(40)), Policy with { L1 = TimeSpan.Zero }));
    }

    private L1Item Loaded(TimeSpan freshFor, LoadSource source = LoadSource.Cache)
    {
        var now = Time.GetUtcNow();
        var entry = new CacheEntry(200, "application/json", Encoding.UTF8.GetBytes("{}"), "\"e\"", [], now - TimeSpan.FromMinutes(2), now + freshFor, now + freshFor + TimeSpan.FromMinutes(10), now + freshFor + TimeSpan.FromHours(1));
        return new L1Item(entry, source);
    }
}
