using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Ranking.Gateway.Tests.Infrastructure;
using Ranking.Gateway.Tests.Proxy;

namespace Ranking.Gateway.Tests.Hosting;

/// <summary>
/// What the host's middleware does around the endpoints: nothing per request on a FRESH hit, problem details for the
/// gateway's own bodiless errors (never for an upstream's), and a route's authorization still enforced although it no
/// longer runs for every request.
/// </summary>
public sealed class PipelineTests(TestDatabase database) : IClassFixture<TestDatabase>, IAsyncLifetime
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private readonly UpstreamServer _upstream = new();

    public Task InitializeAsync() => _upstream.StartAsync();

    public async Task DisposeAsync() => await _upstream.DisposeAsync();

    [Fact]
    public async Task With_allowed_hosts_set_a_request_for_another_host_is_refused_before_it_reaches_a_route_or_the_cache()
    {
        await using var host = ProxyHosts.Create(database, RealServices.NewKeyPrefix(), _time, _upstream, new Dictionary<string, string?> { ["AllowedHosts"] = "localhost" });
        var client = host.CreateClient();

        var other = await client.GetAnswerAsync("http://evil.example/api/items/hosts");
        var allowed = await client.GetAnswerAsync("http://localhost/api/items/hosts");

        Assert.Equal((HttpStatusCode.BadRequest, ""), (other.Status, other.CacheStatus));
        Assert.Equal((HttpStatusCode.OK, "MISS"), (allowed.Status, allowed.CacheStatus));
        Assert.Equal(1, _upstream.Requests("items"));
    }

    [Fact]
    public async Task A_FRESH_hit_leaves_no_per_request_items_features_or_activity()
    {
        await database.SeedAsync("pipeline", 3);
        var seen = new Seen();
        await using var host = ProxyHosts.Create(database, RealServices.NewKeyPrefix(), _time, _upstream, services: s => s.AddSingleton<IStartupFilter>(seen));
        var client = host.CreateClient();

        foreach (var path in new[] { "/ranking/pipeline", "/api/items/1" })
        {
            Assert.Equal("MISS", (await client.GetAnswerAsync(path)).CacheStatus);
            var hit = await client.GetAnswerAsync(path);

            Assert.Equal((HttpStatusCode.OK, "FRESH"), (hit.Status, hit.CacheStatus));
            // Each of these was once written on every request, by middleware the hit did not need (issue 11).
            Assert.Equal((path, 0, false, false, false), (seen.Path, seen.Items, seen.StatusCodePages, seen.Query, seen.Activity));
        }
    }

    [Fact]
    public async Task A_bodiless_error_from_routing_is_problem_details_or_text_when_json_is_not_accepted()
    {
        await using var host = ProxyHosts.Create(database, RealServices.NewKeyPrefix(), _time, _upstream);
        var client = host.CreateClient();

        var notFound = await client.GetAnswerAsync("/nowhere");
        var wrongMethod = await client.SendAnswerAsync(new HttpRequestMessage(HttpMethod.Delete, "/ranking/g1"));
        using var textOnly = new HttpRequestMessage(HttpMethod.Get, "/nowhere");
        textOnly.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/plain"));
        var text = await client.SendAnswerAsync(textOnly);

        ProblemAssert.IsProblem(notFound, HttpStatusCode.NotFound, "Not Found");
        ProblemAssert.IsProblem(wrongMethod, HttpStatusCode.MethodNotAllowed, "Method Not Allowed");
        Assert.Equal("GET, HEAD", string.Join(", ", wrongMethod.Message.Content.Headers.Allow));
        Assert.Equal((HttpStatusCode.NotFound, "text/plain", "Status Code: 404; Not Found"), (text.Status, text.Message.Content.Headers.ContentType?.MediaType, text.Body));
    }

    [Fact]
    public async Task An_upstream_s_bodiless_error_is_passed_on_as_it_came()
    {
        var settings = new Dictionary<string, string?>
        {
            ["ReverseProxy:Routes:up:ClusterId"] = "existing",
            ["ReverseProxy:Routes:up:Match:Path"] = "/up/{**rest}",
            ["ReverseProxy:Routes:up:Transforms:0:PathRemovePrefix"] = "/up",
        };
        await using var host = ProxyHosts.Create(database, RealServices.NewKeyPrefix(), _time, _upstream, settings);
        var client = host.CreateClient();

        var missing = await client.GetAnswerAsync("/up/ranking/missing?limit=3");

        Assert.Equal((HttpStatusCode.NotFound, "", null), (missing.Status, missing.Body, missing.Message.Content.Headers.ContentType?.MediaType));
        Assert.Equal(1, _upstream.Requests("ranking"));
    }

    [Fact]
    public async Task A_route_asking_for_authorization_is_never_proxied_anonymously_and_an_anonymous_route_is()
    {
        var settings = new Dictionary<string, string?>
        {
            ["ReverseProxy:Routes:guarded:ClusterId"] = "existing",
            ["ReverseProxy:Routes:guarded:Match:Path"] = "/guarded/{**rest}",
            ["ReverseProxy:Routes:guarded:AuthorizationPolicy"] = "default",
            ["ReverseProxy:Routes:open:ClusterId"] = "existing",
            ["ReverseProxy:Routes:open:Match:Path"] = "/open/{**rest}",
            ["ReverseProxy:Routes:open:AuthorizationPolicy"] = "anonymous",
        };
        await using var host = ProxyHosts.Create(database, RealServices.NewKeyPrefix(), _time, _upstream, settings);
        var client = host.CreateClient();

        var guarded = await client.GetAnswerAsync("/guarded/x");
        Assert.Equal(0, _upstream.Requests("fallback"));
        var open = await client.GetAnswerAsync("/open/x");

        // The gateway has no way to authenticate anyone (no scheme is configured), so a route that asks for an
        // authenticated user can never pass; what matters is that it is not served anonymously, and says so cleanly.
        ProblemAssert.IsProblem(guarded, HttpStatusCode.InternalServerError, "An error occurred while processing your request.");
        Assert.Equal((HttpStatusCode.OK, "fallback"), (open.Status, open.Body));
        Assert.Equal(1, _upstream.Requests("fallback"));
    }

    /// <summary>What the request carried when its answer started: left there by middleware, not by the test.</summary>
    private sealed class Seen : IStartupFilter
    {
        public string Path { get; private set; } = "";

        public int Items { get; private set; } = -1;

        public bool StatusCodePages { get; private set; }

        public bool Query { get; private set; }

        public bool Activity { get; private set; }

        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use((context, following) =>
            {
                context.Response.OnStarting(() =>
                {
                    Path = context.Request.Path;
                    Items = context.Items.Count;
                    StatusCodePages = context.Features.Get<IStatusCodePagesFeature>() is not null;
                    Query = context.Features.Get<IQueryFeature>() is not null;
                    Activity = System.Diagnostics.Activity.Current is not null;
                    return Task.CompletedTask;
                });
                return following(context);
            });
            next(app);
        };
    }
}
