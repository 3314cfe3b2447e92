using System.Diagnostics;
using Npgsql;

namespace Ranking.Gateway.LoadTests.Measurement;

/// <summary>
/// Counts origin queries for real: pg_stat_statements calls of the Top-N query in the gateways' database, and
/// the sum of the instances' <c>gateway_origin_queries_total</c>, which must agree with it.
/// </summary>
internal sealed class OriginCounter(NpgsqlDataSource postgres, string database, HttpClient http, IReadOnlyList<Uri> instances)
{
    // The gateway's Top-N query, however it is configured (the slow-origin variant too). The pattern is a
    // parameter, so this query's own text never matches it.
    private const string CountSql = """
        SELECT coalesce(sum(s.calls), 0)::bigint
        FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
        WHERE d.datname = @database AND s.query ILIKE @pattern
        """;

    private const string Pattern = "%ranking_scores%ORDER BY score DESC%";

    // The Prometheus exporter caches a scrape for 300 ms: reads closer together can repeat a stale answer.
    private static readonly TimeSpan ScrapeCache = TimeSpan.FromMilliseconds(400);

    private string? _postgresProblem;

    /// <summary>Why pg_stat_statements could not be read (then only the metrics count), or null.</summary>
    public string? PostgresProblem => _postgresProblem;

    public async Task<OriginCount> ReadAsync(CancellationToken cancellationToken)
    {
        var perInstance = await Task.WhenAll(instances.Select(uri => ReadMetricsAsync(uri, cancellationToken)));
        return new OriginCount(await ReadPostgresAsync(cancellationToken), perInstance);
    }

    /// <summary>
    /// Reads until at least <paramref name="atLeast"/> queries have run since <paramref name="before"/> (or
    /// <paramref name="timeout"/> passes) and two reads a scrape-cache period apart agree, so background
    /// refreshes still running are counted.
    /// </summary>
    public async Task<OriginCount> ReadSettledAsync(OriginCount? before, long atLeast, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        await Task.Delay(ScrapeCache, cancellationToken);
        var last = await ReadAsync(cancellationToken);
        while (clock.Elapsed < timeout)
        {
            await Task.Delay(ScrapeCache, cancellationToken);
            var next = await ReadAsync(cancellationToken);
            var enough = before is null || next.Since(before).Queries >= atLeast;
            if (enough && next.SameAs(last))
            {
                return next;
            }

            last = next;
        }

        return last;
    }

    private async Task<long?> ReadPostgresAsync(CancellationToken cancellationToken)
    {
        if (_postgresProblem is not null)
        {
            return null;
        }

        try
        {
            await using var command = postgres.CreateCommand(CountSql);
            command.Parameters.AddWithValue("database", database);
            command.Parameters.AddWithValue("pattern", Pattern);
            return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
        }
        catch (PostgresException ex)
        {
            _postgresProblem = $"pg_stat_statements cannot be read ({ex.MessageText}); origin queries are the gateways' metrics only";
            return null;
        }
    }

    private async Task<long> ReadMetricsAsync(Uri instance, CancellationToken cancellationToken)
    {
        var text = await http.GetStringAsync(new Uri(instance, "/metrics"), cancellationToken);
        return (long)PrometheusText.Sum(text, "gateway_origin_queries_total", ("policy", "ranking"));
    }
}
