using Npgsql;
using Ranking.Gateway.Caching;

namespace Ranking.Gateway.Refresh.Queue;

/// <summary>
/// Tells a failing origin from a failing item, for the consumers: when every recompute of a batch failed, the origin is
/// down if nothing has answered on this instance for a while (<see cref="OriginHealth"/>) and PostgreSQL does not answer
/// a trivial query either. A group that fails while PostgreSQL answers is the group's own failure.
/// </summary>
internal sealed class OriginOutage(OriginHealth health, NpgsqlDataSource database)
{
    /// <param name="recent">How recent an answer of the origin proves it up without asking.</param>
    /// <param name="timeout">How long the trivial query may take.</param>
    public async Task<bool> IsDownAsync(TimeSpan recent, TimeSpan timeout)
    {
        if (health.AnsweredWithin(recent))
        {
            return false;
        }

        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await using var command = database.CreateCommand("SELECT 1");
            await command.ExecuteScalarAsync(cancel.Token);
            return false;
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException or OperationCanceledException)
        {
            return true;
        }
    }
}
