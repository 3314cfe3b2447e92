using Microsoft.Extensions.Configuration;
using Ranking.Gateway.Caching;

namespace Ranking.Gateway.Tests.Caching;

public sealed class CachePolicyTests
{
    [Fact]
    public void Listed_statuses_replace_the_defaults_instead_of_adding_to_them()
    {
        var policy = Bind(new() { ["CacheableStatuses:0"] = "203", ["NegativeStatuses:0"] = "410" });

        Assert.False(policy.IsCacheable(200));
        Assert.True(policy.IsCacheable(203));
        Assert.False(policy.IsNegative(404));
        Assert.True(policy.IsNegative(410));
    }

    [Fact]
    public void Without_lists_200_is_cached_and_404_is_cached_briefly()
    {
        var policy = Bind([]);

        Assert.True(policy.IsCacheable(200));
        Assert.True(policy.IsNegative(404));
        Assert.False(policy.IsCacheable(404));
    }

    [Fact]
    public void A_zero_negative_window_turns_negative_caching_off()
    {
        Assert.False(Bind(new() { ["Negative"] = "00:00:00" }).IsNegative(404));
    }

    private static CachePolicy Bind(Dictionary<string, string?> values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values).Build().Get<CachePolicy>() ?? new CachePolicy();
}
