using Microsoft.Extensions.Options;
using Npgsql;
using Ranking.Gateway.Caching;

namespace Ranking.Gateway.Ranking;

/// <summary>Reads Top-Ns from PostgreSQL with the configured queries.</summary>
internal sealed class PostgresRankingOrigin(NpgsqlDataSource database, IOptions<RankingOptions> options, TimeProvider time) : IRankingOrigin
{
    public async Task<OriginResult> FetchAsync(OriginRequest request, CancellationToken cancellationToken)
    {
        var group = (string)request.Target;
        var generatedAt = time.GetUtcNow();
        try
        {
            await using var command = database.CreateCommand(options.Value.TopNSql);
            command.Parameters.AddWithValue("group", group);
            command.Parameters.AddWithValue("limit", RankingReader.MaxLimit);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            var entries = new List<RankingEntry>(RankingReader.MaxLimit);
            while (await reader.ReadAsync(cancellationToken))
            {
                entries.Add(new RankingEntry(entries.Count + 1, reader.GetString(0), reader.GetInt64(1)));
            }

            return entries.Count == 0 ? RankingResponses.NotFound(group) : RankingResponses.Of(new RankingDocument(group, generatedAt, entries), request.Previous);
        }
        catch (NpgsqlException ex) when (!cancellationToken.IsCancellationRequested)
        {
            return new OriginFailure(OriginFailureKind.Error, "PostgreSQL failed.", Cause: ex);
        }
    }

    public async Task<IReadOnlyDictionary<string, OriginResponse>> FetchManyAsync(IReadOnlyList<string> groups, CancellationToken cancellationToken)
    {
        var generatedAt = time.GetUtcNow();
        await using var command = database.CreateCommand(options.Value.BatchTopNSql);
        command.Parameters.AddWithValue("groups", groups.ToArray());
        command.Parameters.AddWithValue("limit", RankingReader.MaxLimit);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var entries = new Dictionary<string, List<RankingEntry>>(StringComparer.Ordinal);
        while (await reader.ReadAsync(cancellationToken))
        {
            var group = reader.GetString(0);
            if (!entries.TryGetValue(group, out var list))
            {
                entries[group] = list = new List<RankingEntry>(RankingReader.MaxLimit);
            }

            list.Add(new RankingEntry(list.Count + 1, reader.GetString(1), reader.GetInt64(2)));
        }

        return entries.ToDictionary(e => e.Key, e => RankingResponses.Of(new RankingDocument(e.Key, generatedAt, e.Value)), StringComparer.Ordinal);
    }
}
