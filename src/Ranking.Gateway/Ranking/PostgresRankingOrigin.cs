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
            return await OnceMoreIfTransientAsync(() => TopNAsync(group, generatedAt, request.Previous, cancellationToken));
        }
        catch (NpgsqlException ex) when (!cancellationToken.IsCancellationRequested)
        {
            return new OriginFailure(OriginFailureKind.Error, "PostgreSQL failed.", Cause: ex);
        }
    }

    public Task<IReadOnlyDictionary<string, OriginResponse>> FetchManyAsync(IReadOnlyList<string> groups, CancellationToken cancellationToken) =>
        OnceMoreIfTransientAsync(() => BatchAsync(groups, cancellationToken));

    // A connection that broke while idle in the pool (PostgreSQL restarted, a network blip) fails the first query sent on
    // it: that query is sent once more, on another connection, within the same timeout.
    private static async Task<T> OnceMoreIfTransientAsync<T>(Func<Task<T>> query)
    {
        try
        {
            return await query();
        }
        catch (NpgsqlException ex) when (ex.IsTransient)
        {
            return await query();
        }
    }

    private async Task<OriginResult> TopNAsync(string group, DateTimeOffset generatedAt, CacheEntry? previous, CancellationToken cancellationToken)
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

        if (entries.Count == 0)
        {
            return RankingResponses.NotFound(group);
        }

        var response = RankingResponses.Of(new RankingDocument(group, generatedAt, entries), previous);
        return options.Value.TagsSql.Length == 0 ? response : response with { Tags = await TagsAsync(group, cancellationToken) };
    }

    private async Task<IReadOnlyList<string>> TagsAsync(string group, CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand(options.Value.TagsSql);
        command.Parameters.AddWithValue("group", group);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var tags = new List<string?>();
        while (await reader.ReadAsync(cancellationToken))
        {
            tags.Add(reader.IsDBNull(0) ? null : reader.GetString(0));
        }

        return EntryTags.Parse(tags);
    }

    private async Task<Dictionary<string, IReadOnlyList<string>>> BatchTagsAsync(IReadOnlyList<string> groups, CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand(options.Value.BatchTagsSql);
        command.Parameters.AddWithValue("groups", groups.ToArray());
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var tags = new Dictionary<string, List<string?>>(StringComparer.Ordinal);
        while (await reader.ReadAsync(cancellationToken))
        {
            var group = reader.GetString(0);
            if (!tags.TryGetValue(group, out var list))
            {
                tags[group] = list = [];
            }

            list.Add(reader.IsDBNull(1) ? null : reader.GetString(1));
        }

        return tags.ToDictionary(t => t.Key, t => EntryTags.Parse(t.Value), StringComparer.Ordinal);
    }

    private async Task<IReadOnlyDictionary<string, OriginResponse>> BatchAsync(IReadOnlyList<string> groups, CancellationToken cancellationToken)
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

        await reader.DisposeAsync();
        var tags = options.Value.BatchTagsSql.Length == 0 ? null : await BatchTagsAsync(groups, cancellationToken);
        return entries.ToDictionary(
            e => e.Key,
            e => RankingResponses.Of(new RankingDocument(e.Key, generatedAt, e.Value)) with { Tags = tags?.GetValueOrDefault(e.Key) ?? [] },
            StringComparer.Ordinal);
    }
}
