using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Time.Testing;
using Ranking.Gateway.Tests.Infrastructure;

namespace Ranking.Gateway.Tests.Caching;

[Collection(AloneCollection.Name)]
public sealed partial class MetricsTests(TestDatabase database) : IClassFixture<TestDatabase>, IAsyncLifetime
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private GatewayHost _host = null!;
    private HttpClient _client = null!;

    public Task InitializeAsync()
    {
        _host = new GatewayHost(database, RealServices.NewKeyPrefix(), _time, GatewayHost.Policy());
        _client = _host.CreateClient();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task The_origin_query_counter_matches_what_PostgreSQL_ran()
    {
        var before = await database.OriginQueriesAsync();
        for (var g = 0; g < 5; g++)
        {
            await database.SeedAsync($"m{g}", 3);
            await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => _client.GetAnswerAsync($"/ranking/m{g}")));
        }

        await _client.GetAnswerAsync("/ranking/unknown-group");
        _time.Advance(TimeSpan.FromSeconds(61));
        await _client.GetAnswerAsync("/ranking/m0");
        var ran = await Eventually.Until(database.OriginQueriesAsync, n => n - before == 7, "the refresh of m0");

        var metrics = await _client.GetStringAsync("/metrics");
        Assert.Equal(ran - before, Sum(metrics, "gateway_origin_queries_total"));
        Assert.DoesNotContain("m0", metrics, StringComparison.Ordinal);
        Assert.Contains("status=\"STALE\"", metrics, StringComparison.Ordinal);
    }

    private static long Sum(string metrics, string name) =>
        metrics.Split('\n')
            .Where(line => line.StartsWith(name + "{", StringComparison.Ordinal))
            .Sum(line => long.Parse(SampleValue().Match(line).Groups[1].Value, CultureInfo.InvariantCulture));

    [GeneratedRegex(@"\}\s+(\d+)")]
    private static partial Regex SampleValue();
}
