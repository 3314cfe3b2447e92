using Npgsql;

namespace Ranking.Gateway.LoadTests.Measurement;

/// <summary>Reads <see cref="SqlStats"/> from pg_stat_statements, through the runner's own connection (another database).</summary>
internal sealed class SqlStatsReader(NpgsqlDataSource postgres, string database)
{
    // Patterns are parameters, so this query's own text never matches them. The batched Top-N contains unnest( and
    // orders by score; the writer's UPDATE contains unnest( but never "score DESC"; the single Top-N is the
    // configured ranking query, however it is written, as long as it orders by score descending. A change scan compares
    // updated_at with its @since; the writer only sets it.
    private const string Sql = """
        SELECT kind, coalesce(sum(calls), 0)::bigint, coalesce(sum(rows), 0)::bigint, coalesce(sum(total_exec_time), 0)::float8
        FROM (
          SELECT s.calls, s.rows, s.total_exec_time,
                 CASE WHEN s.query ILIKE @writer THEN 'writer'
                      WHEN s.query ILIKE @batched THEN 'batched'
                      WHEN s.query ILIKE @single THEN 'single'
                      WHEN s.query ILIKE @changes THEN 'changes'
                      WHEN s.query = 'DISCARD ALL' THEN 'reset'
                      ELSE 'other' END AS kind
          FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
          WHERE d.datname = @database) AS q
        GROUP BY kind
        UNION ALL
        SELECT 'evictions', dealloc, 0, 0 FROM pg_stat_statements_info
        """;

    private string? _problem;

    /// <summary>Why pg_stat_statements could not be read, or null.</summary>
    public string? Problem => _problem;

    public async Task<SqlStats> ReadAsync(CancellationToken cancellationToken)
    {
        if (_problem is not null)
        {
            return SqlStats.Unavailable;
        }

        try
        {
            await using var command = postgres.CreateCommand(Sql);
            command.Parameters.AddWithValue("database", database);
            command.Parameters.AddWithValue("writer", "UPDATE ranking_scores%");
            command.Parameters.AddWithValue("batched", "%unnest(%score DESC%");
            command.Parameters.AddWithValue("single", "%ranking_scores%score DESC%");
            command.Parameters.AddWithValue("changes", "%updated_at > %");
            var kinds = new Dictionary<string, SqlCounter>();
            await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
            {
                while (await reader.ReadAsync(cancellationToken))
                {
                    kinds[reader.GetString(0)] = new SqlCounter(reader.GetInt64(1), reader.GetInt64(2), reader.GetDouble(3));
                }
            }

            SqlCounter Kind(string kind) => kinds.GetValueOrDefault(kind);
            return new SqlStats(Kind("single"), Kind("batched"), Kind("reset"), Kind("changes"), Kind("other"), Kind("writer"), Kind("evictions").Calls);
        }
        catch (PostgresException ex)
        {
            _problem = $"pg_stat_statements cannot be read ({ex.MessageText}); origin queries and DB time are n/a";
            return SqlStats.Unavailable;
        }
    }
}
