using Npgsql;
using NpgsqlTypes;

namespace Ranking.Gateway.Tests.Infrastructure;

/// <summary>
/// A PostgreSQL database of its own for one test class, with the shipped schema, dropped afterwards.
/// Origin queries are counted by pg_stat_statements, the database's own account of what ran.
/// </summary>
public sealed class TestDatabase : IAsyncLifetime
{
    public string Name { get; } = $"rg_test_{Guid.NewGuid():N}"[..24];

    public string ConnectionString => new NpgsqlConnectionStringBuilder(RealServices.Postgres) { Database = Name, MaxPoolSize = 50 }.ConnectionString;

    public async Task InitializeAsync()
    {
        await using (var admin = new NpgsqlConnection(RealServices.Postgres))
        {
            await admin.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE {Name}", admin);
            await create.ExecuteNonQueryAsync();
        }

        using var schema = new StreamReader(typeof(TestDatabase).Assembly.GetManifestResourceStream("schema.sql")!);
        await ExecuteAsync(await schema.ReadToEndAsync());
    }

    public async Task DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await using var admin = new NpgsqlConnection(RealServices.Postgres);
        await admin.OpenAsync();

        // A replication slot keeps its database from being dropped (and would keep WAL forever): its stream is ended
        // and the slot dropped first; a slot still active a moment after its walsender was told to end is tried again.
        await Eventually.Until(
            async () =>
            {
                await using var slots = new NpgsqlCommand(
                    """
                    SELECT count(pg_terminate_backend(active_pid)) FROM pg_replication_slots WHERE database = @db AND active_pid IS NOT NULL;
                    SELECT count(pg_drop_replication_slot(slot_name)) FROM pg_replication_slots WHERE database = @db AND NOT active;
                    SELECT count(*) FROM pg_replication_slots WHERE database = @db;
                    """,
                    admin);
                slots.Parameters.AddWithValue("db", Name);
                await using var reader = await slots.ExecuteReaderAsync();
                await reader.NextResultAsync();
                await reader.NextResultAsync();
                await reader.ReadAsync();
                return reader.GetInt64(0);
            },
            left => left == 0,
            $"the replication slots of {Name} dropped");
        await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {Name} WITH (FORCE)", admin);
        await drop.ExecuteNonQueryAsync();
    }

    public async Task ExecuteAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    public async Task<T> ScalarAsync<T>(string sql)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return (T)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>Replaces a group's scores (binary COPY).</summary>
    public async Task SeedAsync(string group, IEnumerable<(string User, long Score)> rows)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using (var delete = new NpgsqlCommand("DELETE FROM ranking_scores WHERE group_id = @g", connection))
        {
            delete.Parameters.AddWithValue("g", group);
            await delete.ExecuteNonQueryAsync();
        }

        await using var writer = await connection.BeginBinaryImportAsync("COPY ranking_scores (group_id, user_id, score) FROM STDIN (FORMAT BINARY)");
        foreach (var (user, score) in rows)
        {
            await writer.StartRowAsync();
            await writer.WriteAsync(group, NpgsqlDbType.Text);
            await writer.WriteAsync(user, NpgsqlDbType.Text);
            await writer.WriteAsync(score, NpgsqlDbType.Bigint);
        }

        await writer.CompleteAsync();
    }

    /// <summary>Seeds <paramref name="users"/> users u1..uN with score = N - i (so u1 ranks first).</summary>
    public Task SeedAsync(string group, int users) =>
        SeedAsync(group, Enumerable.Range(1, users).Select(i => ($"u{i}", (long)(users - i))));

    /// <summary>How many single-group Top-N queries this database has run (all groups).</summary>
    public Task<long> OriginQueriesAsync() => StatementCallsAsync("%FROM ranking_scores WHERE group_id%ORDER BY score DESC%");

    /// <summary>How many batched Top-N queries (many groups in one statement) this database has run.</summary>
    public Task<long> BatchQueriesAsync() => StatementCallsAsync("%unnest(%LATERAL%");

    /// <summary>How many scans for changed groups (<c>Ranking:ChangedGroupsSql</c>) this database has run.</summary>
    public Task<long> ChangeScansAsync() => StatementCallsAsync("%FROM ranking_deletions WHERE deleted_at%");

    private async Task<long> StatementCallsAsync(string pattern)
    {
        await using var connection = new NpgsqlConnection(RealServices.Postgres);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            """
            SELECT coalesce(sum(s.calls), 0)::bigint
            FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
            WHERE d.datname = @db AND s.query ILIKE @pattern
            """,
            connection);
        command.Parameters.AddWithValue("db", Name);
        command.Parameters.AddWithValue("pattern", pattern);
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
