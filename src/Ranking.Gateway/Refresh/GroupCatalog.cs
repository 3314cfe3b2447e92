using Microsoft.Extensions.Options;
using Npgsql;
using Ranking.Gateway.Ranking;

namespace Ranking.Gateway.Refresh;

/// <summary>Which groups exist and which changed, from PostgreSQL (<c>Ranking:GroupsSql</c>, <c>Ranking:ChangedGroupsSql</c>).</summary>
internal sealed class GroupCatalog(NpgsqlDataSource database, IOptions<RankingOptions> options)
{
    /// <summary>Every group id in order, a page at a time; only one page is in memory.</summary>
    public async IAsyncEnumerable<IReadOnlyList<string>> PagesAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken, string after = "")
    {
        var pageSize = options.Value.Refresh.PageSize;
        while (true)
        {
            var page = new List<string>(pageSize);
            await using (var command = database.CreateCommand(options.Value.GroupsSql))
            {
                command.Parameters.AddWithValue("after", after);
                command.Parameters.AddWithValue("limit", pageSize);
                await using var reader = await command.ExecuteReaderAsync(cancellationToken);
                while (await reader.ReadAsync(cancellationToken))
                {
                    page.Add(reader.GetString(0));
                }
            }

            if (page.Count > 0)
            {
                yield return page;
            }

            if (page.Count < pageSize)
            {
                yield break;
            }

            after = page[^1];
        }
    }

    /// <summary>Groups changed after <paramref name="since"/> and when each last changed, streamed as PostgreSQL sends them.</summary>
    public async IAsyncEnumerable<GroupChange> ChangedSinceAsync(DateTime since, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand(options.Value.ChangedGroupsSql);
        command.Parameters.AddWithValue("since", since);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            yield return new GroupChange(reader.GetString(0), reader.GetFieldValue<DateTime>(1));
        }
    }

    /// <summary>The database's clock, which <c>updated_at</c> is written by.</summary>
    public async Task<DateTime> NowAsync(CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand("SELECT now()");
        return (DateTime)(await command.ExecuteScalarAsync(cancellationToken))!;
    }
}

/// <summary>A group whose scores changed, and when (the database's clock, UTC).</summary>
internal readonly record struct GroupChange(string Group, DateTime ChangedAt);
