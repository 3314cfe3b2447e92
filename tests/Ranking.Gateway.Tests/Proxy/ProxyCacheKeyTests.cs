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

        Assert.Equal("proxy:cached:http://example.com/api/items?lang=en&page=2", key);
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

        Assert.Equal("proxy:cached:http://example.com/api/items?page=a%20b&page=c%26d", key);
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

        Assert.StartsWith("proxy:cached:http://example.com/api/items#", key);
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

        Assert.Equal("proxy:cached:http://example.com/api/items", ProxyCacheKey.For("cached", based, Policy));
        Assert.NotEqual(ProxyCacheKey.For("cached", Context("/api/items"), Policy), ProxyCacheKey.For("other", Context("/api/items"), Policy));
    }

    [Fact]
    public void A_key_longer_than_the_limit_is_none_and_one_at_the_limit_is_kept()
    {
        var prefix = "proxy:cached:http://example.com/".Length;

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

    [Fact]
    public void The_host_is_part_of_the_key_whatever_its_case_so_one_clients_host_never_shapes_anothers_answer()
    {
        var evil = Context("/api/items");
        evil.Request.Host = new HostString("evil.example");
        var shouting = Context("/api/items");
        shouting.Request.Host = new HostString("EXAMPLE.com");

        Assert.NotEqual(ProxyCacheKey.For("cached", Context("/api/items"), Policy), ProxyCacheKey.For("cached", evil, Policy));
        Assert.Equal(ProxyCacheKey.For("cached", Context("/api/items"), Policy), ProxyCacheKey.For("cached", shouting, Policy));
        Assert.Equal(new HostString("evil.example"), ProxyCacheKey.Fill("cached", evil, Policy).Host);
    }

    [Fact]
    public void A_star_keys_on_every_parameter_in_name_order()
    {
        var all = Policy with { QueryKeys = ["*"] };

        var key = ProxyCacheKey.For("cached", Context("/api/items", "?z=1&a=2&page=3&a=1"), all);

        Assert.Equal("proxy:cached:http://example.com/api/items?a=2&a=1&page=3&z=1", key);
        Assert.Equal(key, ProxyCacheKey.For("cached", Context("/api/items", "?page=3&a=2&z=1&a=1"), all));
        Assert.Equal("?a=2&a=1&page=3&z=1", ProxyCacheKey.Fill("cached", Context("/api/items", "?z=1&a=2&page=3&a=1"), all).Query.Value);
    }

    [Fact]
    public void With_unlisted_parameters_bypassed_a_read_that_has_one_is_not_cached()
    {
        var bypass = Policy with { UnlistedQuery = UnlistedQuery.Bypass };

        Assert.Null(ProxyCacheKey.For("cached", Context("/api/items", "?page=2&utm=x"), bypass));
        Assert.NotNull(ProxyCacheKey.For("cached", Context("/api/items", "?page=2"), bypass));
    }

    [Fact]
    public void Forwarded_headers_reach_the_fill_without_changing_the_key()
    {
        var forwarding = Policy with { ForwardRequestHeaders = ["X-Tenant"] };
        var one = Context("/api/items");
        one.Request.Headers["X-Tenant"] = "a";
        var other = Context("/api/items");
        other.Request.Headers["X-Tenant"] = "b";

        Assert.Equal(ProxyCacheKey.For("cached", one, forwarding), ProxyCacheKey.For("cached", other, forwarding));
        Assert.Contains(new KeyValuePair<string, string>("X-Tenant", "a"), ProxyCacheKey.Fill("cached", one, forwarding).Headers);
    }

    private static DefaultHttpContext Context(string path, string query = "")
    {
        var context = new DefaultHttpContext();
        context.Request.Method = HttpMethods.Get;
        context.Request.Scheme = "http";
        context.Request.Host = new HostString("example.com");
        context.Request.Path = path;
        context.Request.QueryString = new QueryString(query.Length == 0 ? null : query);
        return context;
    }
}
