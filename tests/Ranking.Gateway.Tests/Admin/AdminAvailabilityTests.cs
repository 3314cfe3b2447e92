using System.Net;
using Microsoft.Extensions.Time.Testing;
using Ranking.Gateway.Tests.Infrastructure;
using Ranking.Gateway.Tests.Proxy;

namespace Ranking.Gateway.Tests.Admin;

/// <summary>
/// The admin API exists only with a key, and no proxied route ever answers an admin path: not with the API off, not with
/// it on, not even a catch-all route that asks to come first.
/// </summary>
public sealed class AdminAvailabilityTests(TestDatabase database) : IClassFixture<TestDatabase>, IAsyncLifetime
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private readonly UpstreamServer _upstream = new();

    // A catch-all route that would come before the gateway's own endpoints if route order alone decided.
    private Dictionary<string, string?> CatchAll => new()
    {
        ["ReverseProxy:Routes:everything:ClusterId"] = "existing",
        ["ReverseProxy:Routes:everything:Match:Path"] = "{**rest}",
        ["ReverseProxy:Routes:everything:Order"] = "-1000",
    };

    public static TheoryData<string, string> AdminPaths => new()
    {
        { "GET", "/_admin/ranking/g1" },
        { "DELETE", "/_admin/ranking/g1" },
        { "POST", "/_admin/ranking/g1/refresh" },
        { "GET", "/_admin/routes/everything/x" },
        { "POST", "/_admin/routes/everything/x/refresh" },
        { "PUT", "/_admin/ranking/g1" },
        { "GET", "/_admin" },
        { "GET", "/_admin/" },
        { "PATCH", "/_admin/anything/at/all" },
        { "GET", "/_ADMIN/Ranking/g1" },
    };

    // Spellings an upstream (or a server between) may read as /_admin/ranking/g1.
    public static TheoryData<string> DisguisedAdminPaths => new()
    {
        "//_admin/ranking/g1",
        "/_admin;/ranking/g1",
        "/_admin;x=1/ranking/g1",
        "/_admin./ranking/g1",
        "/_admin%2Franking%2Fg1",
        "/_admin%5Cranking%5Cg1",
        "/_admin%252Franking%252Fg1",
        "/x/..%2F_admin/ranking/g1",
        "/./_ADMIN../ranking/g1",
    };

    public Task InitializeAsync() => _upstream.StartAsync();

    [Theory]
    [MemberData(nameof(DisguisedAdminPaths))]
    public async Task Every_spelling_of_an_admin_path_is_answered_by_the_gateway_never_proxied(string path)
    {
        await using var off = ProxyHosts.Create(database, RealServices.NewKeyPrefix(), _time, _upstream, CatchAll);
        await using var on = ProxyHosts.Create(database, RealServices.NewKeyPrefix(), _time, _upstream, AdminCalls.On(CatchAll));

        foreach (var host in new[] { off, on })
        {
            // Absolute, so the client sends the path as written ("//x" alone would name a host).
            var answer = await host.CreateClient().AdminAsync(HttpMethod.Get, "http://localhost" + path);

            Assert.NotEqual(HttpStatusCode.OK, answer.Status);
            Assert.Equal("application/problem+json", answer.Message.Content.Headers.ContentType?.MediaType);
        }

        Assert.Equal(0, _upstream.Requests("fallback"));
    }

    public async Task DisposeAsync() => await _upstream.DisposeAsync();

    [Theory]
    [MemberData(nameof(AdminPaths))]
    public async Task Without_a_key_admin_paths_are_404_and_never_proxied(string method, string path)
    {
        await using var host = ProxyHosts.Create(database, RealServices.NewKeyPrefix(), _time, _upstream, CatchAll);
        var client = host.CreateClient();

        var anonymous = await client.AdminAsync(new HttpMethod(method), path, authorization: null);
        var keyed = await client.AdminAsync(new HttpMethod(method), path);
        var proxied = await client.GetAnswerAsync("/anything/else");

        ProblemAssert.IsProblem(anonymous, HttpStatusCode.NotFound, "Not Found");
        ProblemAssert.IsProblem(keyed, HttpStatusCode.NotFound, "Not Found");
        Assert.Equal((HttpStatusCode.OK, "fallback"), (proxied.Status, proxied.Body));
        Assert.Equal(1, _upstream.Requests("fallback"));
    }

    [Fact]
    public async Task With_a_key_admin_paths_are_answered_by_the_admin_API_never_by_the_proxy()
    {
        await using var host = ProxyHosts.Create(database, RealServices.NewKeyPrefix(), _time, _upstream, AdminCalls.On(CatchAll));
        var client = host.CreateClient();

        var unknown = await client.AdminAsync(HttpMethod.Get, "/_admin/no-such-endpoint");
        var wrongMethod = await client.AdminAsync(HttpMethod.Put, "/_admin/ranking/g1");
        var refreshWithGet = await client.AdminAsync(HttpMethod.Get, "/_admin/ranking/g1/refresh");
        var anonymous = await client.AdminAsync(HttpMethod.Get, "/_admin/no-such-endpoint", authorization: null);
        var upperCase = await client.AdminAsync(HttpMethod.Get, "/_ADMIN/RANKING/g1");

        Assert.All([unknown, wrongMethod, refreshWithGet], a => ProblemAssert.IsProblem(a, HttpStatusCode.NotFound, "Not Found"));
        ProblemAssert.IsProblem(anonymous, HttpStatusCode.Unauthorized, "Unauthorized");
        Assert.Equal((HttpStatusCode.OK, "ABSENT"), (upperCase.Status, upperCase.Status()));
        Assert.Equal(0, _upstream.Requests("fallback"));
    }

    [Fact]
    public async Task An_empty_key_leaves_the_API_off()
    {
        var settings = new Dictionary<string, string?>(CatchAll) { ["Admin:ApiKey"] = "" };
        await using var host = ProxyHosts.Create(database, RealServices.NewKeyPrefix(), _time, _upstream, settings);

        var answer = await host.CreateClient().AdminAsync(HttpMethod.Get, "/_admin/ranking/g1", authorization: "Bearer ");

        ProblemAssert.IsProblem(answer, HttpStatusCode.NotFound, "Not Found");
        Assert.Equal(0, _upstream.Requests("fallback"));
    }

    [Theory]
    [InlineData("0123456789abcdef0123456789abcde", "Admin:ApiKey must be at least 32 characters (was 31)")]
    [InlineData("short", "Admin:ApiKey must be at least 32 characters (was 5)")]
    [InlineData(" 0123456789abcdef0123456789abcdef", "Admin:ApiKey must not begin or end with whitespace")]
    public async Task A_bad_key_stops_start_up_naming_the_setting_and_not_its_value(string key, string expected)
    {
        await using var host = new GatewayHost(database, RealServices.NewKeyPrefix(), _time, new Dictionary<string, string?> { ["Admin:ApiKey"] = key });

        var thrown = Record.Exception(() => host.CreateClient());

        Assert.NotNull(thrown);
        Assert.Contains(expected, thrown.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(key.Trim(), thrown.ToString(), StringComparison.Ordinal);
    }
}
