using Microsoft.AspNetCore.Http;
using Ranking.Gateway.Caching;
using Ranking.Gateway.Proxy;

namespace Ranking.Gateway.Tests.Proxy;

/// <summary>What a proxied GET's cache key holds, and the fill request made of the same parts.</summary>
public sealed class ProxyCacheKeyTests
{
    private static readonly CachePolicy Policy = new() { QueryKeys = ["page", "lang"], VaryByHeaders = ["Accept-Language"] };

    [Fact]
    public void The_key_holds_route_path_and_the_allowed_query_parameters_sorted()
    {
        var key = ProxyCacheKey.For("cached", Context("/api/items", "?page=2&zzz=1&lang=en"), Policy);

        Assert.Equal("proxy:cached:/api/items?lang=en&page=2", key);
    }

    [Fact]
    public void Parameter_order_and_parameters_outside_the_policy_do_not_change_the_key()
    {
        var a = ProxyCacheKey.For("cached", Context("/api/items", "?page=2&lang=en"), Policy);
        var b = ProxyCacheKey.For("cached", Context("/api/items", "?utm=x&lang=en&page=2"), Policy);

        Assert.Equal(a, b);
    }

    [Fact]
    public void Query_values_are_escaped_and_repeated_values_kept_in_order()
    {
        var key = ProxyCacheKey.For("cached", Context("/api/items", "?page=a%20b&page=c%26d"), Policy);

        Assert.Equal("proxy:cached:/api/items?page=a%20b&page=c%26d", key);
    }

    [Fact]
    public void A_varying_header_adds_a_hash_of_its_value_and_header_name_case_does_not_matter()
    {
        var english = Context("/api/items");
        english.Request.Headers["Accept-Language"] = "en";
        var korean = Context("/api/items");
        korean.Request.Headers["accept-language"] = "ko";
        var englishAgain = Context("/api/items");
        englishAgain.Request.Headers["ACCEPT-LANGUAGE"] = "en";

        var key = ProxyCacheKey.For("cached", english, Policy)!;

        Assert.StartsWith("proxy:cached:/api/items#", key);
        Assert.Equal(16, key[(key.IndexOf('#') + 1)..].Length);
        Assert.NotEqual(key, ProxyCacheKey.For("cached", korean, Policy));
        Assert.Equal(key, ProxyCacheKey.For("cached", englishAgain, Policy));
        Assert.NotEqual(key, ProxyCacheKey.For("cached", Context("/api/items"), Policy));
    }

    [Fact]
    public void Routes_and_path_bases_are_part_of_the_key()
    {
        var based = Context("/items");
        based.Request.PathBase = "/api";

        Assert.Equal("proxy:cached:/api/items", ProxyCacheKey.For("cached", based, Policy));
        Assert.NotEqual(ProxyCacheKey.For("cached", Context("/api/items"), Policy), ProxyCacheKey.For("other", Context("/api/items"), Policy));
    }

    [Fact]
    public void A_key_longer_than_the_limit_is_none_and_one_at_the_limit_is_kept()
    {
        var prefix = "proxy:cached:/".Length;

        Assert.Null(ProxyCacheKey.For("cached", Context("/" + new string('a', ProxyCacheKey.KeyLimit - prefix + 1)), Policy));
        Assert.Equal(ProxyCacheKey.KeyLimit, ProxyCacheKey.For("cached", Context("/" + new string('a', ProxyCacheKey.KeyLimit - prefix)), Policy)!.Length);
    }

    [Fact]
    public void The_same_key_is_the_same_string_read_after_read()
    {
        Assert.Same(ProxyCacheKey.For("cached", Context("/api/same"), Policy), ProxyCacheKey.For("cached", Context("/api/same"), Policy));
    }

    [Fact]
    public void The_fill_carries_exactly_the_keyed_query_and_headers()
    {
        var context = Context("/api/items", "?page=2&utm=x");
        context.Request.Headers["Accept-Language"] = "en";
        context.Request.Headers["Cookie"] = "secret";

        var fill = ProxyCacheKey.Fill("cached", context, Policy);

        Assert.Equal("?page=2", fill.Query.Value);
        Assert.Equal([new KeyValuePair<string, string>("Accept-Language", "en")], fill.Headers);
        Assert.False(fill.CarriesCredentials);
    }

    private static DefaultHttpContext Context(string path, string query = "")
    {
        var context = new DefaultHttpContext();
        context.Request.Method = HttpMethods.Get;
        context.Request.Path = path;
        context.Request.QueryString = new QueryString(query.Length == 0 ? null : query);
        return context;
    }
}
