using System.Net;
using Microsoft.Extensions.Time.Testing;
using Ranking.Gateway.Tests.Infrastructure;

namespace Ranking.Gateway.Tests.Hosting;

public sealed class HealthEndpointTests(TestDatabase database) : IClassFixture<TestDatabase>
{
    /// <summary>Nothing listens on port 1: connections are refused at once.</summary>
    internal const string UnreachablePostgres = "Host=127.0.0.1;Port=1;Database=ranking;Username=ranking;Password=ranking;Timeout=3";

    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private readonly string _prefix = RealServices.NewKeyPrefix();

    [Fact]
    public async Task Live_answers_200()
    {
        await using var host = new GatewayHost(database, _prefix, _time);
        using var client = host.CreateClient();

        var live = await client.GetAnswerAsync("/health/live");

        Assert.Equal((HttpStatusCode.OK, "Healthy"), (live.Status, live.Body));
    }

    [Fact]
    public async Task Ready_answers_200_healthy_when_redis_and_postgres_answer()
    {
        await using var host = new GatewayHost(database, _prefix, _time);
        using var client = host.CreateClient();

        var ready = await client.GetAnswerAsync("/health/ready");

        Assert.Equal((HttpStatusCode.OK, "Healthy"), (ready.Status, ready.Body));
    }

    [Fact]
    public async Task Ready_answers_503_when_postgres_is_unreachable_while_live_stays_200()
    {
        await using var host = new GatewayHost(database, _prefix, _time, new Dictionary<string, string?> { ["ConnectionStrings:Postgres"] = UnreachablePostgres });
        using var client = host.CreateClient();

        var ready = await client.GetAnswerAsync("/health/ready");
        var live = await client.GetAnswerAsync("/health/live");

        Assert.Equal((HttpStatusCode.ServiceUnavailable, "Unhealthy"), (ready.Status, ready.Body));
        Assert.Equal((HttpStatusCode.OK, "Healthy"), (live.Status, live.Body));
    }

    [Fact]
    public async Task Metrics_count_a_ranking_answer_by_policy_and_status()
    {
        // A policy name of its own: meters are process-wide, so other test classes' answers must not count here.
        var policy = $"m{Guid.NewGuid():N}"[..12];
        var settings = new Dictionary<string, string?>
        {
            [$"Gateway:Policies:{policy}:FreshJitter"] = "00:00:00",
            ["Ranking:Policy"] = policy,
        };
        await database.SeedAsync("metrics", 3);
        await using var host = new GatewayHost(database, _prefix, _time, settings);
        using var client = host.CreateClient();

        Assert.Equal(HttpStatusCode.OK, (await client.GetAnswerAsync("/ranking/metrics")).Status);
        var metrics = await client.GetAnswerAsync("/metrics");

        Assert.Equal(HttpStatusCode.OK, metrics.Status);
        Assert.Contains("gateway_cache_answers_total", metrics.Body, StringComparison.Ordinal);
        var lines = metrics.Body.Split('\n')
            .Where(l => l.StartsWith("gateway_cache_answers_total{", StringComparison.Ordinal) && l.Contains($"policy=\"{policy}\"", StringComparison.Ordinal))
            .ToArray();
        // Every status is published (at zero until it happens); the one read counted as a MISS.
        Assert.Equal(4, lines.Length);
        var counts = lines.ToDictionary(
            l => l[(l.IndexOf("status=\"", StringComparison.Ordinal) + 8)..].Split('"')[0],
            l => l[(l.IndexOf('}', StringComparison.Ordinal) + 2)..].Split(' ')[0]);
        Assert.Equal(("1", "0", "0", "0"), (counts["MISS"], counts["FRESH"], counts["STALE"], counts["BYPASS"]));
    }
}
