using System.Diagnostics;
using Npgsql;
using NpgsqlTypes;
using Ranking.Gateway.LoadTests.Hosting;

namespace Ranking.Gateway.LoadTests.Seeding;

/// <summary>
/// The load-test database: created on demand with the shipped schema (db/schema.sql) and filled with groups
/// g1..gN × users u1..uM by binary COPY, indexes dropped during the load and rebuilt once after it. A seed
/// that already has enough groups and users is kept, so runs after the first start at once.
/// </summary>
internal static class Seeder
{
    private const string SeedTable = """
        CREATE TABLE IF NOT EXISTS loadtest_seed (
          id int PRIMARY KEY CHECK (id = 1),
          groups int NOT NULL,
          users int NOT NULL,
          seeded_at timestamptz NOT NULL DEFAULT now())
        """;

    /// <returns>A line saying what was done.</returns>
    public static async Task<string> EnsureAsync(string adminConnectionString, string database, int groups, int users, CancellationToken cancellationToken)
    {
        await using (var admin = new NpgsqlConnection(adminConnectionString))
        {
            await admin.OpenAsync(cancellationToken);
            await using var exists = new NpgsqlCommand("SELECT 1 FROM pg_database WHERE datname = @name", admin);
            exists.Parameters.AddWithValue("name", database);
            if (await exists.ExecuteScalarAsync(cancellationToken) is null)
            {
                // Copied from template1, which scripts/services-up.sh gave pg_stat_statements.
                await using var create = new NpgsqlCommand($"CREATE DATABASE {database}", admin);
                await create.ExecuteNonQueryAsync(cancellationToken);
            }
        }

        await using var connection = new NpgsqlConnection(ConnectionString(adminConnectionString, database));
        await connection.OpenAsync(cancellationToken);
        await ExecuteAsync(connection, await File.ReadAllTextAsync(Path.Combine(RepoPaths.Root, "db", "schema.sql"), cancellationToken), cancellationToken);
        await ExecuteAsync(connection, SeedTable, cancellationToken);

        await using (var read = new NpgsqlCommand("SELECT groups, users FROM loadtest_seed", connection))
        await using (var reader = await read.ExecuteReaderAsync(cancellationToken))
        {
            if (await reader.ReadAsync(cancellationToken))
            {
                if (reader.GetInt32(0) >= groups && reader.GetInt32(1) >= users)
                {
                    return $"database {database}: seeded already ({reader.GetInt32(0):N0} groups × {reader.GetInt32(1):N0} users)";
                }

                // Grow, never shrink: a smaller run after a larger one keeps the larger seed.
                groups = Math.Max(groups, reader.GetInt32(0));
                users = Math.Max(users, reader.GetInt32(1));
            }
        }

        var clock = Stopwatch.StartNew();
        await LoadAsync(connection, groups, users, cancellationToken);
        return $"database {database}: seeded {groups:N0} groups × {users:N0} users = {(long)groups * users:N0} rows by COPY in {clock.Elapsed.TotalSeconds:0.0} s";
    }

    public static string ConnectionString(string adminConnectionString, string database) =>
        new NpgsqlConnectionStringBuilder(adminConnectionString) { Database = database }.ConnectionString;

    private static async Task LoadAsync(NpgsqlConnection connection, int groups, int users, CancellationToken cancellationToken)
    {
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await ExecuteAsync(connection, "SET LOCAL maintenance_work_mem = '256MB'", cancellationToken);
        await ExecuteAsync(connection, "TRUNCATE ranking_scores", cancellationToken);

        // Index definitions come from the catalog, so this never repeats db/schema.sql (as db/demo-data.sql does).
        var ddl = new List<(string Drop, string Create)>();
        await using (var indexes = new NpgsqlCommand("""
            SELECT CASE WHEN c.oid IS NULL THEN format('DROP INDEX %s', i.indexrelid::regclass)
                        ELSE format('ALTER TABLE ranking_scores DROP CONSTRAINT %I', c.conname) END,
                   CASE WHEN c.oid IS NULL THEN pg_get_indexdef(i.indexrelid)
                        ELSE format('ALTER TABLE ranking_scores ADD CONSTRAINT %I %s', c.conname, pg_get_constraintdef(c.oid)) END
            FROM pg_index i
            LEFT JOIN pg_constraint c ON c.conrelid = i.indrelid AND c.conindid = i.indexrelid
            WHERE i.indrelid = 'ranking_scores'::regclass
            """, connection))
        await using (var reader = await indexes.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                ddl.Add((reader.GetString(0), reader.GetString(1)));
            }
        }

        foreach (var (drop, _) in ddl)
        {
            await ExecuteAsync(connection, drop, cancellationToken);
        }

        // Scores skewed like the demo data (a few users dominate, low scores tie often), from a fixed seed.
        var random = new Random(20261126);
        await using (var writer = await connection.BeginBinaryImportAsync("COPY ranking_scores (group_id, user_id, score) FROM STDIN (FORMAT BINARY)", cancellationToken))
        {
            var userIds = Enumerable.Range(1, users).Select(u => $"u{u}").ToArray();
            for (var g = 1; g <= groups; g++)
            {
                var group = $"g{g}";
                foreach (var user in userIds)
                {
                    await writer.StartRowAsync(cancellationToken);
                    await writer.WriteAsync(group, NpgsqlDbType.Text, cancellationToken);
                    await writer.WriteAsync(user, NpgsqlDbType.Text, cancellationToken);
                    await writer.WriteAsync((long)(1_000_000 * Math.Pow(random.NextDouble(), 4)), NpgsqlDbType.Bigint, cancellationToken);
                }
            }

            await writer.CompleteAsync(cancellationToken);
        }

        foreach (var (_, create) in ddl)
        {
            await ExecuteAsync(connection, create, cancellationToken);
        }

        await using (var record = new NpgsqlCommand(
            "INSERT INTO loadtest_seed (id, groups, users) VALUES (1, @g, @u) ON CONFLICT (id) DO UPDATE SET groups = @g, users = @u, seeded_at = now()", connection))
        {
            record.Parameters.AddWithValue("g", groups);
            record.Parameters.AddWithValue("u", users);
            await record.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        await ExecuteAsync(connection, "ANALYZE ranking_scores", cancellationToken);
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        // No command timeout: seeding millions of rows (100,000 groups × 100 users) outlasts Npgsql's 30 s default.
        await using var command = new NpgsqlCommand(sql, connection) { CommandTimeout = 0 };
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
