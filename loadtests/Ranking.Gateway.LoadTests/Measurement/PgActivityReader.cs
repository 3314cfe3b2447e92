using Npgsql;

namespace Ranking.Gateway.LoadTests.Measurement;

/// <summary>
/// Reads <see cref="PgActivityReading"/>s: how many Top-N queries PostgreSQL is running at this moment, which the
/// gateways' bulkhead bounds, through the runner's own connection (another database, so it is never counted).
/// </summary>
internal sealed class PgActivityReader(NpgsqlDataSource postgres, string database)
{
    // The pattern is a parameter, so this query's own text never matches it (as OriginCounter's).
    private const string Sql = """
        SELECT (count(*) FILTER (WHERE state = 'active' AND query ILIKE @pattern))::int, count(*)::int
        FROM pg_stat_activity WHERE datname = @database
        """;

    private const string Pattern = "%ranking_scores%ORDER BY score DESC%";

    /// <returns>Null when PostgreSQL did not answer (the reading is left out).</returns>
    public async Task<PgActivityReading?> ReadAsync(CancellationToken cancellationToken)
    {
        try
        {
            await using var command = postgres.CreateCommand(Sql);
            command.Parameters.AddWithValue("database", database);
            command.Parameters.AddWithValue("pattern", Pattern);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            return await reader.ReadAsync(cancellationToken) ? new PgActivityReading(reader.GetInt32(0), reader.GetInt32(1)) : null;
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException)
        {
            return null;
        }
    }
}
