using Ranking.Gateway.Caching;
using Ranking.Gateway.Proxy;

namespace Ranking.Gateway.Tests.Proxy;

/// <summary>What a shared cache reads from an upstream answer's headers, and what it refuses to store.</summary>
public sealed class UpstreamCachingTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly string Date = Now.ToString("R");
    private static readonly CachePolicy Policy = new();

    private static HttpCaching Read(params (string Name, string Value)[] headers) => Read(200, Policy, false, headers);

    private static HttpCaching Read(int status, CachePolicy policy, bool credentials, params (string Name, string Value)[] headers)
    {
        string? Header(string name) => headers.Where(h => h.Name.Equals(name, StringComparison.OrdinalIgnoreCase)).Select(h => h.Value).ToArray() is { Length: > 0 } found
            ? string.Join(",", found)
            : null;
        return UpstreamCaching.Read(status, Header, policy, credentials, contentLength: 100, headers.Length, Now);
    }

    [Theory]
    [InlineData("private, max-age=\"60\"", "private")]
    [InlineData("no-store, max-age=-1", "unparseable-cache-control")]
    [InlineData("private, max-age=abc", "unparseable-cache-control")]
    [InlineData("max-age=60, max-age=0", "unparseable-cache-control")]
    [InlineData("no-store", "no-store")]
    [InlineData("nO-StOrE", "no-store")]
    public void An_answer_whose_cache_control_forbids_storing_or_cannot_be_read_is_not_stored(string cacheControl, string reason) =>
        Assert.Equal(reason, Read(("Cache-Control", cacheControl)).NotStorable);

    [Fact]
    public void An_answer_with_a_cookie_is_not_stored_unless_the_policy_says_so()
    {
        Assert.Equal("set-cookie", Read(("Cache-Control", "max-age=60"), ("Set-Cookie", "a=b")).NotStorable);
        Assert.Null(Read(200, Policy with { StoreSetCookie = true }, false, ("Cache-Control", "max-age=60"), ("Set-Cookie", "a=b")).NotStorable);
    }

    [Theory]
    [InlineData("max-age=60", "authorization")]
    [InlineData("public, max-age=60", null)]
    [InlineData("s-maxage=60", null)]
    [InlineData("max-age=60, must-revalidate", null)]
    public void An_answer_to_credentials_is_shared_only_when_it_says_so(string cacheControl, string? reason) =>
        Assert.Equal(reason, Read(200, Policy with { CacheAuthorized = true }, true, ("Cache-Control", cacheControl)).NotStorable);

    [Theory]
    [InlineData("max-age=100", "0", 100)]
    [InlineData("max-age=100", "30", 70)]
    [InlineData("max-age=100", "30, 0", 70)]
    [InlineData("max-age=100", "abc", 100)]
    [InlineData("max-age=100", "-5", 100)]
    [InlineData("max-age=100", "5.0", 100)]
    [InlineData("max-age=3600", "2147483648", 3600 - 2147483648L)]
    [InlineData("s-maxage=10, max-age=100", "0", 10)]
    [InlineData("max-age=100, no-cache", "0", 0)]
    public void Freshness_left_is_the_lifetime_less_the_age(string cacheControl, string age, long seconds) =>
        Assert.Equal(TimeSpan.FromSeconds(seconds), Read(("Cache-Control", cacheControl), ("Age", age)).Fresh);

    [Fact]
    public void Expires_counts_from_the_upstreams_own_date_and_an_invalid_one_is_already_expired()
    {
        Assert.Equal(TimeSpan.FromSeconds(90), Read(("Date", Date), ("Expires", Now.AddSeconds(90).ToString("R"))).Fresh);
        Assert.Equal(TimeSpan.Zero, Read(("Date", Date), ("Expires", "0")).Fresh);
        Assert.Equal(TimeSpan.FromSeconds(30), Read(("Date", Date), ("Expires", Now.AddSeconds(90).ToString("R")), ("Cache-Control", "max-age=30")).Fresh);
    }

    [Fact]
    public void A_targeted_field_replaces_cache_control_and_expires_and_an_invalid_one_is_ignored()
    {
        var targeted = Read(("Cache-Control", "no-store"), ("CDN-Cache-Control", "max-age=600"), ("Expires", "0"));
        var invalid = Read(("Cache-Control", "no-store"), ("CDN-Cache-Control", "max-age=\"600\""));
        var other = Read(200, Policy with { TargetedCacheControl = "Gateway-Cache-Control" }, false, ("Cache-Control", "max-age=5"), ("CDN-Cache-Control", "max-age=600"));

        Assert.Equal((null, TimeSpan.FromSeconds(600)), (targeted.NotStorable, targeted.Fresh));
        Assert.Equal("no-store", invalid.NotStorable);
        Assert.Equal(TimeSpan.FromSeconds(5), other.Fresh);
    }

    [Fact]
    public void An_answer_that_says_nothing_gets_the_heuristic_the_policy_allows_only_for_heuristically_cacheable_statuses()
    {
        var lastModified = ("Last-Modified", Now.AddDays(-10).ToString("R"));

        Assert.True(Read(("Date", Date)).PolicyFresh);
        Assert.Equal(TimeSpan.FromDays(1), Read(200, Policy with { Heuristic = HeuristicFreshness.LastModified }, false, ("Date", Date), lastModified).Fresh);
        Assert.Equal("no-freshness", Read(200, Policy with { Heuristic = HeuristicFreshness.None }, false, ("Date", Date)).NotStorable);
        Assert.Null(Read(200, Policy with { Heuristic = HeuristicFreshness.None }, false, ("Date", Date), lastModified).NotStorable);
        var created = Read(201, Policy with { CacheableStatuses = [201] }, false, ("Date", Date));
        Assert.Equal((false, "no-freshness"), (created.PolicyFresh, created.NotStorable));
    }

    [Theory]
    [InlineData("Accept-Language", null)]
    [InlineData("accept-language", null)]
    [InlineData("Cookie", "vary")]
    [InlineData("*", "vary")]
    [InlineData("Accept-Language, *", "vary")]
    public void An_answer_that_varies_on_a_header_the_key_does_not_hold_is_not_stored(string vary, string? reason) =>
        Assert.Equal(reason, Read(200, Policy with { VaryByHeaders = ["Accept-Language"] }, false, ("Cache-Control", "max-age=60"), ("Vary", vary)).NotStorable);
}
