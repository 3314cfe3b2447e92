using Microsoft.Extensions.Options;
using Npgsql;

namespace Ranking.Gateway.Ranking;

/// <summary>Reads a group's Top-N from PostgreSQL with the configured query.</summary>
internal sealed class PostgresRankingOrigin(NpgsqlDataSource database, IOptions<RankingOptions> options, TimeProvider time) : IRankingOrigin
{
    public async Task<RankingDocument?> GetTopAsync(string group, int limit, CancellationToken cancellationToken)
    {
        var generatedAt = time.GetUtcNow();
        await using var command = database.CreateCommand(options.Value.TopNSql);
        command.Parameters.AddWithValue("group", group);
        command.Parameters.AddWithValue("limit", limit);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var entries = new List<RankingEntry>(limit);
        while (await reader.ReadAsync(cancellationToken))
        {
            entries.Add(new RankingEntry(entries.Count + 1, reader.GetString(0), reader.GetInt64(1)));
        }

        return entries.Count == 0 ? null : new RankingDocument(group, generatedAt, entries);
    }
}
