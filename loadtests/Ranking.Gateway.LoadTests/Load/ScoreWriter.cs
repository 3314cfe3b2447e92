using System.Diagnostics;
using Npgsql;
using NpgsqlTypes;
using Ranking.Gateway.LoadTests.Measurement;

namespace Ranking.Gateway.LoadTests.Load;

/// <summary>
/// compare-modes' writer: every second, one UPDATE gives one random user of each of a share of the groups (picked
/// uniformly, or with <paramref name="zipf"/> above 0 Zipf-skewed like the reads, so the groups read most are written
/// most; from a seeded random source, so every mode sees the same writes) a higher score and
/// <c>updated_at = now()</c>, the way an application would. When the statement returns, the change is committed
/// (autocommit), and that moment is logged per group for the staleness measure.
/// </summary>
/// <remarks>
/// Every write changes its group's Top-100 (compare-modes seeds at most 100 users a group, so every user is in it, and a
/// score only grows): the staleness measure relies on that, because a refresh that finds the same ranking keeps the
/// previous answer's bytes and so its <c>generatedAt</c>. A write that set a score to the value it already had (the same
/// seeded writes run again in the next mode, on the same table) changed nothing, and the answers after it were counted
/// behind a write they already showed.
/// </remarks>
internal sealed class ScoreWriter(NpgsqlDataSource database, int groups, int users, double share, double zipf, int seed, WriteLog log)
{
    private readonly ZipfSampler? _skew = zipf > 0 ? new ZipfSampler(groups, zipf) : null;

    // No ORDER BY, so the runner's pg_stat_statements patterns never count it as a Top-N query.
    private const string UpdateSql = """
        UPDATE ranking_scores AS s SET score = s.score + w.raise, updated_at = now()
        FROM unnest(@groups, @users, @raises) AS w(group_id, user_id, raise)
        WHERE s.group_id = w.group_id AND s.user_id = w.user_id
        """;

    /// <summary>Writes once a second until <paramref name="cancellationToken"/> is cancelled.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var random = new Random(seed);
        var due = 0.0;
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        try
        {
            do
            {
                // Carried over, so a share that is not a whole number of groups per second still averages out.
                due += groups * share;
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

    private async Task WriteAsync(int[] picked, Random random, CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand(UpdateSql);
        command.Parameters.Add(new NpgsqlParameter<string[]>("groups", NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = [.. picked.Select(g => $"g{g}")] });
        command.Parameters.Add(new NpgsqlParameter<string[]>("users", NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = [.. picked.Select(_ => $"u{random.Next(1, users + 1)}")] });
        command.Parameters.Add(new NpgsqlParameter<long[]>("raises", NpgsqlDbType.Array | NpgsqlDbType.Bigint) { TypedValue = [.. picked.Select(_ => (long)random.Next(1, 100_000))] });
        var start = Stopwatch.GetTimestamp();
        await command.ExecuteNonQueryAsync(cancellationToken);
        log.Committed(picked, DateTimeOffset.UtcNow, Stopwatch.GetElapsedTime(start));
    }
}
