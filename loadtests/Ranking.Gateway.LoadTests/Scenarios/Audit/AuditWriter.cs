using System.Diagnostics;
using Npgsql;
using StackExchange.Redis;

namespace Ranking.Gateway.LoadTests.Scenarios.Audit;

/// <summary>
/// The audit's writer: every <see cref="AuditPlan.WriteEvery"/> one user of one group (picked at random, seeded) gets a
/// new score, higher than any before, so an answer that shows a user's score at least that high shows the write. Two
/// writes in three set <c>updated_at = now()</c>, the third leaves it and marks the group in the Queue mode's dirty set
/// instead (both ways a writer may tell the producer). Every committed write is logged with its commit time (the
/// runner's clock, UTC). The writer talks to PostgreSQL directly, so it keeps writing while the gateways' link to it is
/// cut; a write that cannot be made (PostgreSQL itself failing) is retried, never skipped.
/// </summary>
internal sealed class AuditWriter(NpgsqlDataSource database, IConnectionMultiplexer redis, string keyPrefix, int seed)
{
    private const string WithUpdatedAt = "UPDATE ranking_scores SET score = @score, updated_at = now() WHERE group_id = @group AND user_id = @user";
    private const string WithoutUpdatedAt = "UPDATE ranking_scores SET score = @score WHERE group_id = @group AND user_id = @user";

    // Above any score in the table (seeded, or written by an earlier run), and increasing: a higher score is a later write.
    private long _next;

    public List<AuditWrite> Writes { get; } = [];

    public async Task StartAboveAsync(CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand("SELECT coalesce(max(score), 0) FROM ranking_scores");
        _next = (long)(await command.ExecuteScalarAsync(cancellationToken))! + 1_000_000;
    }

    public async Task RunAsync(TimeSpan every, CancellationToken stopping)
    {
        var random = new Random(seed);
        using var timer = new PeriodicTimer(every);
        try
        {
            while (await timer.WaitForNextTickAsync(stopping))
            {
                var write = new AuditWrite(random.Next(1, AuditPlan.Groups + 1), random.Next(1, AuditPlan.Users + 1), ++_next, Dirty: _next % 3 == 0, 0);
                Writes.Add(write with { CommittedAt = await CommitAsync(write, stopping) });
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // The run's writes are over.
        }
    }

    private async Task<long> CommitAsync(AuditWrite write, CancellationToken stopping)
    {
        while (true)
        {
            try
            {
                await using var command = database.CreateCommand(write.Dirty ? WithoutUpdatedAt : WithUpdatedAt);
                command.Parameters.AddWithValue("score", write.Score);
                command.Parameters.AddWithValue("group", $"g{write.Group}");
                command.Parameters.AddWithValue("user", $"u{write.User}");
                await command.ExecuteNonQueryAsync(stopping);
                var committedAt = DateTimeOffset.UtcNow.UtcTicks;
                if (write.Dirty)
                {
                    await MarkDirtyAsync($"g{write.Group}", stopping);
                }

                return committedAt;
            }
            catch (NpgsqlException)
            {
                await Task.Delay(100, stopping);
            }
        }
    }

    // The writers' contract: SADD after the commit, again until Redis takes it (it may be frozen or restarting).
    private async Task MarkDirtyAsync(string group, CancellationToken stopping)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(30))
        {
            try
            {
                await redis.GetDatabase().SetAddAsync($"{keyPrefix}{{refresh}}:dirty", group);
                return;
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException)
            {
                await Task.Delay(100, stopping);
            }
        }
    }
}

/// <param name="CommittedAt">UTC ticks, the runner's clock, when the commit returned.</param>
internal sealed record AuditWrite(int Group, int User, long Score, bool Dirty, long CommittedAt);
