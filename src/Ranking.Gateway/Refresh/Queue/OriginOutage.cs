using Npgsql;
using Ranking.Gateway.Caching;

namespace Ranking.Gateway.Refresh.Queue;

/// <summary>
/// Tells a failing origin from a failing item, for the consumers: when every recompute of a batch failed, the origin is
/// down if nothing has answered on this instance for a while (<see cref="OriginHealth"/>) and PostgreSQL does not answer
/// a trivial query either, or the failures continue an outage seen less than five seconds before (the first queries after
/// PostgreSQL comes back may still fail on connections the outage broke). A group that fails while PostgreSQL answers,
/// and not in the wake of an outage, is the group's own failure.
/// </summary>
internal sealed class OriginOutage(OriginHealth health, NpgsqlDataSource database)
{
    private static readonly TimeSpan Settling = TimeSpan.FromSeconds(5);

    private long _lastDown = long.MinValue;

    /// <summary>
    /// Whether an error is the origin's rather than the item's: a connection that broke or could not be made. Such a
    /// failure never counts against an item, whatever else succeeded. A timeout is not one of them: a group whose query
    /// always runs too long is the group's problem, and is dead-lettered in the end.
    /// </summary>
    public static bool IsOriginFault(Exception? error) => error switch
    {
        IOException or System.Net.Sockets.SocketException => true,
        null => false,
        _ => IsOriginFault(error.InnerException),
    };

    /// <param name="recent">How recent an answer of the origin proves it up without asking.</param>
    /// <param name="timeout">How long the trivial query may take.</param>
    public async Task<bool> IsDownAsync(TimeSpan recent, TimeSpan timeout)
    {
        // Still settling: failures that follow one another this closely are the same outage, however it ends.
        if (Volatile.Read(ref _lastDown) is var down && down != long.MinValue && Environment.TickCount64 - down < (long)Settling.TotalMilliseconds)
        {
            Volatile.Write(ref _lastDown, Environment.TickCount64);
            return true;
        }

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
            // The pooled connections are likely broken too: opened afresh once PostgreSQL is back.
            database.Clear();
            Volatile.Write(ref _lastDown, Environment.TickCount64);
            return true;
        }
    }
}
