using Microsoft.Extensions.Options;
using Npgsql;

namespace Ranking.Gateway.Ranking;

/// <summary>Reads Top-Ns from PostgreSQL with the configured queries.</summary>
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

    public async Task<IReadOnlyDictionary<string, RankingDocument>> GetTopManyAsync(IReadOnlyList<string> groups, int limit, CancellationToken cancellationToken)
    {
        var generatedAt = time.GetUtcNow();
        await using var command = database.CreateCommand(options.Value.BatchTopNSql);
        command.Parameters.AddWithValue("groups", groups.ToArray());
        command.Parameters.AddWithValue("limit", limit);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var entries = new Dictionary<string, List<RankingEntry>>(StringComparer.Ordinal);
        while (await reader.ReadAsync(cancellationToken))
        {
            var group = reader.GetString(0);
            if (!entries.TryGetValue(group, out var list))
            {
                entries[group] = list = new List<RankingEntry>(limit);
            }

            list.Add(new RankingEntry(list.Count + 1, reader.GetString(1), reader.GetInt64(2)));
        }

        return entries.ToDictionary(e => e.Key, e => new RankingDocument(e.Key, generatedAt, e.Value), StringComparer.Ordinal);
    }
}
