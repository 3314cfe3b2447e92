using System.Globalization;
using System.Text.RegularExpressions;
using Ranking.Gateway.Tests.Infrastructure;

namespace Ranking.Gateway.Tests.Caching;

[Collection(AloneCollection.Name)]
public sealed partial class MetricsTests(TestDatabase database) : OneGatewayTest(database)
{
    [Fact]
    public async Task The_origin_query_counter_matches_what_PostgreSQL_ran()
    {
        var before = await Database.OriginQueriesAsync();
        for (var g = 0; g < 5; g++)
        {
            await Database.SeedAsync($"m{g}", 3);
            await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => Client.GetAnswerAsync($"/ranking/m{g}")));
        }

        await Client.GetAnswerAsync("/ranking/unknown-group");
        Time.Advance(TimeSpan.FromSeconds(61));
        await Client.GetAnswerAsync("/ranking/m0");
        var ran = await Eventually.Until(Database.OriginQueriesAsync, n => n - before == 7, "the refresh of m0");

        var metrics = await Client.GetStringAsync("/metrics");
        Assert.Equal(ran - before, Sum(metrics, "gateway_origin_queries_total"));
        Assert.DoesNotContain("m0", metrics, StringComparison.Ordinal);
        Assert.Contains("status=\"STALE\"", metrics, StringComparison.Ordinal);

        // The runtime's own, for what decides the hit's tail: the collector's pauses and collections by generation.
        Assert.Contains("dotnet_gc_pause_time_seconds_total", metrics, StringComparison.Ordinal);
        Assert.Contains("dotnet_gc_collections_total", metrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_recompute_with_the_same_answer_keeps_the_stored_body_and_etag_and_is_counted()
    {
        await Database.SeedAsync("same", 3);
        var first = await Client.GetAnswerAsync("/ranking/same");
        Time.Advance(TimeSpan.FromSeconds(61));
        Assert.Equal("STALE", (await Client.GetAnswerAsync("/ranking/same")).CacheStatus);

        var refreshed = await Eventually.Until(() => Client.GetAnswerAsync("/ranking/same"), a => a.CacheStatus == "FRESH", "the refreshed entry");

        Assert.Equal(first.Header("ETag"), refreshed.Header("ETag"));
        var metrics = await Client.GetStringAsync("/metrics");
        Assert.Contains("gateway_origin_unchanged_total{otel_scope_name=\"Ranking.Gateway\",how=\"same-body\",policy=\"ranking\"} 1", metrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Counters_are_published_at_zero_before_anything_happened()
    {
        // Read before any ranking was: dashboards and alerts see the series from the start.
        var metrics = await Client.GetStringAsync("/metrics");

        foreach (var series in new[]
        {
            "gateway_cache_answers_total{otel_scope_name=\"Ranking.Gateway\",policy=\"ranking\",status=\"MISS\"} 0",
            "gateway_origin_queries_total{otel_scope_name=\"Ranking.Gateway\",outcome=\"timeout\",policy=\"ranking\"} 0",
            "gateway_cache_revalidations_total{otel_scope_name=\"Ranking.Gateway\",outcome=\"cancelled\",policy=\"ranking\"} 0",
            "gateway_origin_rejected_total{otel_scope_name=\"Ranking.Gateway\",policy=\"ranking\"} 0",
            "gateway_origin_unchanged_total{otel_scope_name=\"Ranking.Gateway\",how=\"not-modified\",policy=\"ranking\"} 0",
            "gateway_redis_failures_total{otel_scope_name=\"Ranking.Gateway\"} 0",
            "gateway_cache_l1_checks_total{otel_scope_name=\"Ranking.Gateway\",result=\"unchanged\"} 0",
            "gateway_rate_limit_rejections_total{otel_scope_name=\"Ranking.Gateway\",policy=\"ranking\"} 0",
        })
        {
            Assert.Contains(series, metrics, StringComparison.Ordinal);
        }
    }

    private static long Sum(string metrics, string name) =>
        metrics.Split('\n')
            .Where(line => line.StartsWith(name + "{", StringComparison.Ordinal))
            .Sum(line => long.Parse(SampleValue().Match(line).Groups[1].Value, CultureInfo.InvariantCulture));

    [GeneratedRegex(@"\}\s+(\d+)")]
    private static partial Regex SampleValue();
}
