using System.Diagnostics;
using System.Globalization;
using Npgsql;
using NpgsqlTypes;
using Ranking.Gateway.LoadTests.Measurement;

namespace Ranking.Gateway.LoadTests.Load;

/// <summary>
/// compare-modes' writer: every second, one UPDATE gives one random user of each of a share of the groups (picked
/// uniformly, or with <paramref name="zipf"/> above 0 Zipf-skewed like the reads, so the groups read most are written
/// most; from a seeded random source, so every mode sees the same writes) a higher score and
/// <c>updated_at = now()</c>, the way an application would. When the statement returns, the change is committed
/// (autocommit), and that moment is logged per group for the staleness measure. <paramref name="every"/> (default one
/// second) spreads the second's groups over several commits; <paramref name="written"/> hears each commit's new scores.
/// </summary>
/// <remarks>
/// Every write changes its group's Top-100 (compare-modes seeds at most 100 users a group, so every user is in it, and a
/// score only grows): the staleness measure relies on that, because a refresh that finds the same ranking keeps the
/// previous answer's bytes and so its <c>generatedAt</c>. A write that set a score to the value it already had (the same
/// seeded writes run again in the next mode, on the same table) changed nothing, and the answers after it were counted
/// behind a write they already showed.
/// </remarks>
internal sealed class ScoreWriter(
    NpgsqlDataSource database, int groups, int users, double share, double zipf, int seed, WriteLog log, TimeSpan? every = null, Action<ScoreWrite[]>? written = null)
{
    private readonly TimeSpan _every = every ?? TimeSpan.FromSeconds(1);
    private readonly ZipfSampler? _skew = zipf > 0 ? new ZipfSampler(groups, zipf) : null;

    // No ORDER BY, so the runner's pg_stat_statements patterns never count it as a Top-N query.
    private const string UpdateSql = """
        UPDATE ranking_scores AS s SET score = s.score + w.raise, updated_at = now()
        FROM unnest(@groups, @users, @raises) AS w(group_id, user_id, raise)
        WHERE s.group_id = w.group_id AND s.user_id = w.user_id
        RETURNING s.group_id, s.user_id, s.score
        """;

    /// <summary>Writes every <c>every</c> until <paramref name="cancellationToken"/> is cancelled.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var random = new Random(seed);
        var due = 0.0;
        using var timer = new PeriodicTimer(_every);
        try
        {
            do
            {
                // Carried over, so a share that is not a whole number of groups per second still averages out.
                due += groups * share * _every.TotalSeconds;
                var count = Math.Min(groups, (int)due);
                due -= count;
                if (count > 0)
                {
                    await WriteAsync(Pick(random, count), random, cancellationToken);
                }
            }
            while (await timer.WaitForNextTickAsync(cancellationToken));
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The run is over.
        }
    }

    private int[] Pick(Random random, int count)
    {
        var picked = new HashSet<int>();
        // A steep skew may need many draws for the last distinct groups: past a bound, the rest are uniform.
        for (var draws = 0; _skew is not null && picked.Count < count && draws < 50 * count; draws++)
        {
            picked.Add(_skew.Next(random.NextDouble()));
        }

        while (picked.Count < count)
        {
            picked.Add(random.Next(1, groups + 1));
        }

        return [.. picked];
    }

    // The users first, then the raises: the seeded sequence compare-modes' runs were taken with.
    private Task WriteAsync(int[] picked, Random random, CancellationToken cancellationToken) =>
        CommitAsync([.. picked.Select(g => (g, random.Next(1, users + 1)))], random, cancellationToken);

    /// <summary>
    /// One UPDATE, committed when it returns: each (group, user) gets a random raise. Logged per distinct group, and handed
    /// to <c>written</c>; returns each row's new score.
    /// </summary>
    public async Task<ScoreWrite[]> CommitAsync(IReadOnlyList<(int Group, int User)> rows, Random random, CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand(UpdateSql);
        command.Parameters.Add(new NpgsqlParameter<string[]>("groups", NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = [.. rows.Select(r => $"g{r.Group}")] });
        command.Parameters.Add(new NpgsqlParameter<string[]>("users", NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = [.. rows.Select(r => $"u{r.User}")] });
        command.Parameters.Add(new NpgsqlParameter<long[]>("raises", NpgsqlDbType.Array | NpgsqlDbType.Bigint) { TypedValue = [.. rows.Select(_ => (long)random.Next(1, 100_000))] });
        var start = Stopwatch.GetTimestamp();
        var scores = new List<(int Group, int User, long Score)>(rows.Count);
        // Read to the end: the commit has returned once the reader is done, not when the first row arrives.
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                scores.Add((Number(reader.GetString(0)), Number(reader.GetString(1)), reader.GetInt64(2)));
            }
        }

        var committed = Stopwatch.GetTimestamp();
        log.Committed(rows.Select(r => r.Group).Distinct(), DateTimeOffset.UtcNow, Stopwatch.GetElapsedTime(start, committed));
        ScoreWrite[] writes = [.. scores.Select(s => new ScoreWrite(s.Group, s.User, s.Score, committed))];
        written?.Invoke(writes);
        return writes;
    }

    // "g12" / "u7" → 12 / 7.
    private static int Number(string id) => int.Parse(id.AsSpan(1), CultureInfo.InvariantCulture);
}
