using System.Diagnostics;
using Npgsql;

namespace Ranking.Gateway.LoadTests.Scenarios.Changes;

/// <summary>The logical replication slot a run's gateways read changes through: the WAL it holds back, and dropping it after the run.</summary>
internal static class ReplicationSlot
{
    /// <summary>A slot name of the run's own (lower-case letters, digits and '_', at most 63).</summary>
    public static string NameFor(string runId) => $"rg_load_{runId.Replace('-', '_').ToLowerInvariant()}";

    /// <summary>
    /// Bytes of WAL the slot keeps from being recycled (behind its restart_lsn) and not yet confirmed by its consumer
    /// (behind its confirmed_flush_lsn), or null when there is no such slot.
    /// </summary>
    public static async Task<(long Retained, long Unconfirmed)?> RetainedAsync(NpgsqlDataSource postgres, string slot, CancellationToken cancellationToken)
    {
        await using var command = postgres.CreateCommand("""
            SELECT pg_wal_lsn_diff(pg_current_wal_insert_lsn(), restart_lsn)::bigint, coalesce(pg_wal_lsn_diff(pg_current_wal_insert_lsn(), confirmed_flush_lsn), 0)::bigint
            FROM pg_replication_slots WHERE slot_name = @s
            """);
        command.Parameters.AddWithValue("s", slot);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) && !reader.IsDBNull(0) ? (reader.GetInt64(0), reader.GetInt64(1)) : null;
    }

    /// <summary>
    /// Drops the slot once no gateway is connected to it (a walsender may take a moment to go after its gateway stopped),
    /// so it holds no WAL after the run; waits at most 30 s.
    /// </summary>
    /// <returns>What happened, for the report.</returns>
    public static async Task<string> DropAsync(string connectionString, string slot)
    {
        await using var postgres = NpgsqlDataSource.Create(connectionString);
        var clock = Stopwatch.StartNew();
        while (true)
        {
            // Counted, since the function returns void (which reads as null).
            await using (var drop = postgres.CreateCommand(
                "SELECT count(*) FROM (SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = @s AND NOT active) AS dropped"))
            {
                drop.Parameters.AddWithValue("s", slot);
                if ((long)(await drop.ExecuteScalarAsync())! > 0)
                {
                    return $"replication slot {slot} dropped after the gateways stopped";
                }
            }

            await using var left = postgres.CreateCommand("SELECT count(*) FROM pg_replication_slots WHERE slot_name = @s");
            left.Parameters.AddWithValue("s", slot);
            if ((long)(await left.ExecuteScalarAsync())! == 0)
            {
                return $"replication slot {slot}: none was created";
            }

            if (clock.Elapsed > TimeSpan.FromSeconds(30))
            {
                return $"replication slot {slot} still active 30 s after the gateways stopped: NOT dropped (drop it by hand: SELECT pg_drop_replication_slot('{slot}'))";
            }

            await Task.Delay(TimeSpan.FromMilliseconds(500));
        }
    }
}
