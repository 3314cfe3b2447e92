using System.Text.Json;
using System.Text.RegularExpressions;
using Ranking.Gateway.Tests.Infrastructure;
using Ranking.Gateway.Tests.Refresh;

namespace Ranking.Gateway.Tests.Hosting;

/// <summary>
/// The Grafana dashboard in <c>docs/grafana-dashboard.json</c> queries only metrics the gateway exports: every metric name
/// in its queries appears in a scrape of <c>/metrics</c> of a Queue-mode instance (the queue's gauges, batches) and a
/// CompetingLocks one (walk locks), after the reads that make every counter count. Alone: its Queue instance's gauges
/// would report into every other host's /metrics (see <see cref="AloneCollection"/>), among them QueueTests' dead-letter count.
/// </summary>
[Collection(AloneCollection.Name)]
public sealed partial class DashboardTests
{
    [Fact]
    public async Task Every_metric_the_dashboard_queries_is_one_the_gateway_exports()
    {
        var queried = Queried();
        var exported = new HashSet<string>(StringComparer.Ordinal);
        foreach (var mode in new[] { "Queue", "CompetingLocks" })
        {
            await using var fleet = await RefreshFleet.CreateAsync(TimeSpan.FromSeconds(10));
            await fleet.Database.SeedAsync("d1", 3);
            var (_, client) = fleet.Start(fleet.Settings(mode));
            var metrics = await Eventually.Until(
                () => client.GetStringAsync("/metrics"),
                text => text.Contains(mode == "Queue" ? "gateway_origin_batch_duration_seconds_bucket" : "gateway_refresh_lock_attempts_total", StringComparison.Ordinal),
                $"the {mode} instance's first refresh work in its metrics");
            await client.GetAnswerAsync("/ranking/d1");
            await client.GetAnswerAsync("/ranking/unknown-group");

            // The exporter keeps a scrape for a moment: wait for one that has counted the reads.
            metrics += await Eventually.Until(
                () => client.GetStringAsync("/metrics"),
                text => AnsweredMiss().IsMatch(text),
                $"the {mode} instance's MISS answer in its metrics");
            exported.UnionWith(MetricName().Matches(metrics).Select(m => m.Groups[1].Value));
        }

        Assert.NotEmpty(queried);
        Assert.Equal([], queried.Except(exported).Order());
    }

    private static HashSet<string> Queried()
    {
        var path = Path.Combine(FindRoot(), "docs", "grafana-dashboard.json");
        using var dashboard = JsonDocument.Parse(File.ReadAllText(path));
        var queries = dashboard.RootElement.GetProperty("panels").EnumerateArray()
            .SelectMany(p => p.GetProperty("targets").EnumerateArray())
            .Select(t => t.GetProperty("expr").GetString()!);
        return [.. queries.SelectMany(q => QueriedName().Matches(q).Select(m => m.Value))];
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Ranking.Gateway.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("The repository root (Ranking.Gateway.sln) was not found above the test's directory.");
    }

    // A sample line of the Prometheus text format: the metric name, then labels or the value.
    [GeneratedRegex(@"^(gateway_[a-z_]+)[{ ]", RegexOptions.Multiline)]
    private static partial Regex MetricName();

    [GeneratedRegex(@"^gateway_cache_answers_total\{[^}]*status=""MISS""[^}]*\} [1-9]", RegexOptions.Multiline)]
    private static partial Regex AnsweredMiss();

    [GeneratedRegex("gateway_[a-z_]+")]
    private static partial Regex QueriedName();
}
