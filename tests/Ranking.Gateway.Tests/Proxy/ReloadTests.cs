using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;
using Ranking.Gateway.Tests.Infrastructure;

namespace Ranking.Gateway.Tests.Proxy;

/// <summary>Cached routes follow edits of the settings file as YARP's routes do, and a bad edit changes nothing.</summary>
public sealed class ReloadTests(TestDatabase database) : IClassFixture<TestDatabase>, IAsyncLifetime
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private readonly UpstreamServer _upstream = new();
    private readonly string _folder = Directory.CreateTempSubdirectory("rg-reload-").FullName;
    private GatewayHost _host = null!;
    private HttpClient _client = null!;

    private string File => Path.Combine(_folder, "settings.json");

    public async Task InitializeAsync()
    {
        await _upstream.StartAsync();
        await WriteAsync(fresh: "00:01:00", routePolicy: null);
        _host = new GatewayHost(database, RealServices.NewKeyPrefix(), _time, settingsFile: File, services: s => s.AddFakeLogging());
        _client = _host.CreateClient();
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _host.DisposeAsync();
        await _upstream.DisposeAsync();
        Directory.Delete(_folder, recursive: true);
    }

    [Fact]
    public async Task A_cached_route_added_to_the_file_starts_caching()
    {
        Assert.Equal("", (await _client.GetAnswerAsync("/api/items/a")).CacheStatus);

        await WriteAsync(fresh: "00:01:00", routePolicy: "items");

        await Eventually.Until(() => _client.GetAnswerAsync("/api/items/b"), a => a.CacheStatus == "MISS", "the new cached route");
        Assert.Equal("FRESH", (await _client.GetAnswerAsync("/api/items/b")).CacheStatus);
    }

    [Fact]
    public async Task A_changed_policy_applies_to_the_next_entries()
    {
        await WriteAsync(fresh: "00:01:00", routePolicy: "items");
        await Eventually.Until(() => _client.GetAnswerAsync("/api/items/c"), a => a.CacheStatus == "MISS", "the cached route");

        await WriteAsync(fresh: "00:00:07", routePolicy: "items");

        // The upstream says nothing of freshness, so the policy's Fresh is the entry's: a hit says how much is left.
        await Eventually.Until(
            async () =>
            {
                var path = $"/api/items/c{Guid.NewGuid():N}";
                await _client.GetAnswerAsync(path);
                return await _client.GetAnswerAsync(path);
            },
            a => a.Header("Cache-Status") == "Ranking.Gateway; hit; ttl=7",
            "an entry with the new fresh window");
    }

    [Fact]
    public async Task A_removed_policy_with_its_routes_metadata_leaves_the_route_proxied_untouched()
    {
        await WriteAsync(fresh: "00:01:00", routePolicy: "items");
        await Eventually.Until(() => _client.GetAnswerAsync("/api/items/d"), a => a.CacheStatus == "MISS", "the cached route");

        await WriteAsync(fresh: null, routePolicy: null, routeExists: true);

        var proxied = await Eventually.Until(() => _client.GetAnswerAsync("/api/items/d"), a => a.CacheStatus == "", "the route without its policy");
        Assert.Equal(System.Net.HttpStatusCode.OK, proxied.Status);
    }

    [Theory]
    [InlineData("a route naming a policy that does not exist", "00:01:00", "nope", "names cache policy 'nope'")]
    [InlineData("a policy setting out of range", "00:00:00", "items", "Gateway:Policies:items:Fresh must be positive")]
    public async Task A_bad_edit_is_logged_and_the_previous_configuration_keeps_serving(string edit, string fresh, string routePolicy, string logged)
    {
        await WriteAsync(fresh: "00:01:00", routePolicy: "items");
        await Eventually.Until(() => _client.GetAnswerAsync("/api/items/e"), a => a.CacheStatus == "MISS", "the cached route");
        var logs = _host.Services.GetFakeLogCollector();

        await WriteAsync(fresh: fresh, routePolicy: routePolicy);

        await Eventually.Until(
            () => logs.GetSnapshot().Any(r => r.Level == LogLevel.Error && r.Message.Contains(logged, StringComparison.Ordinal)),
            $"the error about {edit}");
        var answers = new[] { await _client.GetAnswerAsync("/api/items/e"), await _client.GetAnswerAsync("/api/items/f") };
        Assert.Equal(["FRESH", "MISS"], answers.Select(a => a.CacheStatus));
        Assert.Equal("Ranking.Gateway; hit; ttl=60", (await _client.GetAnswerAsync("/api/items/f")).Header("Cache-Status"));
    }

    // The whole file, rewritten in one move so the watcher never reads half of it.
    private async Task WriteAsync(string? fresh, string? routePolicy, bool routeExists = false)
    {
        var policies = new Dictionary<string, object>();
        if (fresh is not null)
        {
            policies["items"] = new { Fresh = fresh, FreshJitter = "00:00:00" };
        }

        var routes = new Dictionary<string, object>();
        if (routePolicy is not null || routeExists)
        {
            routes["items"] = new
            {
                ClusterId = "items",
                Match = new { Path = "/api/items/{**rest}" },
                Metadata = routePolicy is null ? null : new Dictionary<string, string> { ["CachePolicy"] = routePolicy },
            };
        }

        var settings = new
        {
            Gateway = new { Policies = policies },
            ReverseProxy = new
            {
                Routes = routes,
                Clusters = new { items = new { Destinations = new { d1 = new { Address = _upstream.Address } } } },
            },
        };
        var staging = File + ".new";
        await System.IO.File.WriteAllTextAsync(staging, JsonSerializer.Serialize(settings, new JsonSerializerOptions { DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull }));
        System.IO.File.Move(staging, File, overwrite: true);
    }
}
