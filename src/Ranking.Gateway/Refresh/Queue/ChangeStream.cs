using System.Threading.Channels;
using Microsoft.Extensions.Options;
using Npgsql;
using Npgsql.Replication;
using Npgsql.Replication.PgOutput;
using Npgsql.Replication.PgOutput.Messages;
using Ranking.Gateway.Hosting;
using Ranking.Gateway.Ranking;

namespace Ranking.Gateway.Refresh.Queue;

/// <summary>
/// Queue mode's change stream (<c>Ranking:Refresh:Changes = Replication</c>). While this instance holds the producer's
/// lease, it reads the score table's committed changes from a logical replication slot (the <c>pgoutput</c> plugin,
/// through a publication on the table), turns each transaction into the set of groups it touched (inserts, updates,
/// deletes; many rows of one group are one group) and queues them at once, coalescing what arrived meanwhile.
/// </summary>
/// <remarks>
/// <para>Nothing is skipped: the slot's confirmed position moves to a transaction's end only after its groups are
/// queued, so a crash, a stop or a lost lease replays from there (a group queued twice is recomputed twice, no more).
/// The watermark the polling scan starts from moves with it, so a fallback to polling reads only what the stream may
/// not have queued.</para>
/// <para>While the stream is not running (no privilege, <c>wal_level</c> not <c>logical</c>, the slot in use or lost,
/// PostgreSQL away), the producer polls every period as in <see cref="ChangeSource.Poll"/>; the stream is tried again
/// every <c>ReplicationRetry</c>. A pass may skip the scan only when the stream it saw at its start was already running
/// at the start of the previous pass (<see cref="Epoch"/>): that pass's scan found what was committed before the stream's
/// slot position, and the stream has everything after it.</para>
/// <para>Memory: one transaction's groups until it commits (at most every group of the table), and at most
/// <see cref="Backlog"/> committed transactions read ahead of the queueing; beyond that the stream waits, and
/// PostgreSQL keeps the WAL.</para>
/// </remarks>
internal sealed partial class ChangeStream(
    NpgsqlDataSource database,
    QueueIntake intake,
    RefreshMetrics metrics,
    IConfiguration configuration,
    IOptions<RankingOptions> options,
    TimeProvider time,
    ILogger<ChangeStream> logger)
{
    private const int Chunk = 500;
    private const int Backlog = 1000;
    private static readonly TimeSpan IdleConfirm = TimeSpan.FromSeconds(1);

    private long _epoch;
    private long _streamingEpoch;
    private long _attempts;
    private long _healthy;
    private string? _failure;

    /// <summary>
    /// A number that names the current run of the stream, or 0 while none runs. A run counts from the moment its slot
    /// position is fixed: every change committed after that reaches the queue through it.
    /// </summary>
    public long Epoch => Interlocked.Read(ref _streamingEpoch);

    /// <summary>Runs of the stream this instance has tried, whether they streamed or failed.</summary>
    public long Attempts => Interlocked.Read(ref _attempts);

    /// <summary>Streams while <paramref name="leading"/> is not cancelled; calls <paramref name="started"/> when a run begins.</summary>
    /// <remarks>
    /// After a failure the stream is tried again after a second, then twice as long each time up to
    /// <c>ReplicationRetry</c>: a blip (a new leader whose predecessor's connection is still closing) costs a second, a
    /// missing privilege one attempt per <c>ReplicationRetry</c>. Only a run that queued something starts the schedule
    /// again (and says the stream is back): one that connects and fails on its first change is no better than one
    /// that cannot connect.
    /// </remarks>
    public async Task RunAsync(Action started, CancellationToken leading)
    {
        var most = options.Value.Refresh.ReplicationRetry;
        var retry = TimeSpan.Zero;
        while (!leading.IsCancellationRequested)
        {
            var healthy = Interlocked.Read(ref _healthy);
            Interlocked.Increment(ref _attempts);
            try
            {
                await StreamAsync(started, leading);
            }
            catch (Exception ex) when (!leading.IsCancellationRequested)
            {
                Failed(ex, most);
            }
            catch
            {
                // Leadership ended (or the gateway stops): whatever the stream was doing, it ends quietly, so the
                // producer that awaits it carries on.
                return;
            }
            finally
            {
                Stopped();
            }

            retry = Interlocked.Read(ref _healthy) != healthy || retry == TimeSpan.Zero ? TimeSpan.FromSeconds(1) : retry * 2;
            retry = retry < most ? retry : most;
            try
            {
                await Task.Delay(retry, leading);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>
    /// The slot's WAL kept by PostgreSQL (from its restart position) and not yet confirmed (from its confirmed position),
    /// in bytes, and whether a stream reads it; null when the slot does not exist.
    /// </summary>
    public async Task<SlotLag?> SlotLagAsync(CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand("""
            SELECT pg_wal_lsn_diff(pg_current_wal_insert_lsn(), restart_lsn)::bigint, pg_wal_lsn_diff(pg_current_wal_insert_lsn(), confirmed_flush_lsn)::bigint, active
            FROM pg_replication_slots WHERE slot_name = @slot
            """);
        command.Parameters.AddWithValue("slot", options.Value.Refresh.ReplicationSlot);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? new SlotLag(reader.IsDBNull(0) ? 0 : reader.GetInt64(0), reader.IsDBNull(1) ? 0 : reader.GetInt64(1), reader.GetBoolean(2))
            : null;
    }

    private async Task StreamAsync(Action started, CancellationToken leading)
    {
        var settings = options.Value.Refresh;
        await EnsurePublicationAsync(settings, leading);
        await using var connection = new LogicalReplicationConnection(ReplicationConnectionString())
        {
            // The slot's confirmed position is reported this often (and when PostgreSQL asks).
            WalReceiverStatusInterval = TimeSpan.FromSeconds(1),
        };
        await connection.Open(leading);
        await EnsureSlotAsync(connection, settings, leading);

        using var run = CancellationTokenSource.CreateLinkedTokenSource(leading);
        var commits = Channel.CreateBounded<Commit>(new BoundedChannelOptions(Backlog) { SingleReader = true, SingleWriter = true });
        var messages = connection.StartReplication(new PgOutputReplicationSlot(settings.ReplicationSlot), new PgOutputReplicationOptions(settings.ReplicationPublication, PgOutputProtocolVersion.V1), run.Token);

        Interlocked.Exchange(ref _streamingEpoch, Interlocked.Increment(ref _epoch));
        metrics.Streaming(true);
        if (Interlocked.Read(ref _epoch) == 1)
        {
            Log.Streaming(logger, settings.ReplicationSlot, settings.ReplicationPublication);
        }

        started();

        // Either side failing ends the run: the reader's failure completes the channel with it, the queueing's cancels
        // the reader. What was read and not queued is read again from the slot by the next run.
        var reader = new ReaderState();
        var reading = ReadAsync(messages, commits.Writer, reader, settings, run.Token);
        try
        {
            await QueueAsync(connection, commits.Reader, reader, run.Token);
        }
        finally
        {
            await run.CancelAsync();
            await reading.ContinueWith(static _ => { }, TaskScheduler.Default);
        }

        await reading;
    }

    // Turns the stream into committed transactions' sets of groups.
    private async Task ReadAsync(IAsyncEnumerable<PgOutputReplicationMessage> messages, ChannelWriter<Commit> commits, ReaderState state, RefreshOptions settings, CancellationToken cancellationToken)
    {
        Exception? failure = null;
        try
        {
            var (schema, table) = settings.ReplicationTable.Split('.') is [var s, var t] ? (s, t) : ("public", settings.ReplicationTable);
            var groups = new HashSet<string>(StringComparer.Ordinal);
            await foreach (var message in messages.WithCancellation(cancellationToken))
            {
                Interlocked.Increment(ref state.Messages);
                switch (message)
                {
                    case BeginMessage:
                        Volatile.Write(ref state.BetweenTransactions, false);
                        break;
                    case InsertMessage insert when Watched(insert.Relation):
                        await AddAsync(insert.Relation, insert.NewRow);
                        break;
                    case FullUpdateMessage update when Watched(update.Relation):
                        await AddAsync(update.Relation, update.OldRow);
                        await AddAsync(update.Relation, update.NewRow);
                        break;
                    case IndexUpdateMessage update when Watched(update.Relation):
                        await AddAsync(update.Relation, update.Key);
                        await AddAsync(update.Relation, update.NewRow);
                        break;
                    case UpdateMessage update when Watched(update.Relation):
                        await AddAsync(update.Relation, update.NewRow);
                        break;
                    case KeyDeleteMessage delete when Watched(delete.Relation):
                        await AddAsync(delete.Relation, delete.Key);
                        break;
                    case FullDeleteMessage delete when Watched(delete.Relation):
                        await AddAsync(delete.Relation, delete.OldRow);
                        break;
                    case TruncateMessage truncate when truncate.Relations.Any(Watched):
                        Log.Truncate(logger, settings.ReplicationTable);
                        break;
                    case CommitMessage commit:
                        // A transaction that touched no group (another table of a shared publication) goes on too: its
                        // end is confirmed in order, behind what was queued before it.
                        await commits.WriteAsync(new Commit(groups.Count > 0 ? groups : [], commit.TransactionEndLsn, commit.TransactionCommitTimestamp), cancellationToken);
                        Volatile.Write(ref state.BetweenTransactions, true);
                        if (groups.Count > 0)
                        {
                            groups = new HashSet<string>(StringComparer.Ordinal);
                        }

                        break;
                }
            }

            bool Watched(RelationMessage relation) => relation.RelationName == table && relation.Namespace == schema;

            async Task AddAsync(RelationMessage relation, ReplicationTuple row)
            {
                var column = 0;
                await foreach (var value in row.WithCancellation(cancellationToken))
                {
                    if (relation.Columns[column++].ColumnName == settings.ReplicationGroupColumn && !value.IsDBNull)
                    {
                        groups.Add(await value.Get<string>(cancellationToken));
                    }
                }
            }
        }
        catch (Exception ex)
        {
            failure = ex;
            throw;
        }
        finally
        {
            commits.TryComplete(failure ?? new EndOfStreamException("The replication stream ended."));
        }
    }

    // Queues what has been committed, as much as is there at once (coalesced: a group changed by many of those
    // transactions is queued once), then confirms the slot up to the last transaction queued. While nothing is in hand,
    // it confirms what PostgreSQL says it has sent (ConfirmIdle), once a second.
    private async Task QueueAsync(LogicalReplicationConnection connection, ChannelReader<Commit> commits, ReaderState reader, CancellationToken cancellationToken)
    {
        var pending = new Dictionary<string, DateTime>(StringComparer.Ordinal);
        var healthy = false;
        Task<bool>? ready = null;
        while (true)
        {
            ready ??= commits.WaitToReadAsync(cancellationToken).AsTask();
            if (!ready.IsCompleted && await Task.WhenAny(ready, Task.Delay(IdleConfirm, cancellationToken)) != ready)
            {
                ConfirmIdle(connection, commits, reader);
                continue;
            }

            var more = await ready;
            ready = null;
            if (!more)
            {
                break;
            }

            Commit? last = null;
            while (pending.Count < Chunk * 20 && commits.TryRead(out var commit))
            {
                foreach (var group in commit.Groups)
                {
                    pending[group] = commit.At;
                }

                last = commit;
            }

            if (last is null)
            {
                continue;
            }

            if (pending.Count > 0)
            {
                var now = time.GetUtcNow();
                var queued = 0L;
                foreach (var chunk in pending.Select(p => new GroupChange(p.Key, p.Value)).Chunk(Chunk))
                {
                    queued += await intake.EnqueueAsync(chunk, now);
                }

                metrics.Enqueued("stream", queued);
                if (queued > 0)
                {
                    await intake.WakeConsumersAsync();
                }

                await intake.AdvanceWatermarkAsync(last.At, create: false);
                pending.Clear();
            }

            connection.SetReplicationStatus(last.End);
            if (!healthy)
            {
                healthy = true;
                Interlocked.Increment(ref _healthy);
                if (Interlocked.Exchange(ref _failure, null) is not null)
                {
                    Log.Resumed(logger);
                }
            }
        }

        // The reader completed the channel: with its failure, or because the stream ended.
        await commits.Completion;
    }

    /// <summary>
    /// With every transaction received queued (none half read, none waiting in the channel), confirms the slot up to
    /// what PostgreSQL last said it had sent (its keepalives), as PostgreSQL's own apply worker does when it has nothing
    /// pending. Without this the slot would hold WAL written to other tables for as long as the score table is quiet,
    /// and a fast shutdown of PostgreSQL would wait for ever for the stream to confirm its shutdown checkpoint.
    /// </summary>
    /// <remarks>
    /// PostgreSQL's position can run one message ahead of the reader (it is read before the message is handed over). With
    /// no transaction open, that message begins the next one, and its position is that transaction's first record, before
    /// its commit: confirming it does not skip the transaction.
    /// </remarks>
    private static void ConfirmIdle(LogicalReplicationConnection connection, ChannelReader<Commit> commits, ReaderState reader)
    {
        var seen = Interlocked.Read(ref reader.Messages);
        if (!Volatile.Read(ref reader.BetweenTransactions) || commits.Count > 0)
        {
            return;
        }

        var received = connection.LastReceivedLsn;
        if (Interlocked.Read(ref reader.Messages) == seen && Volatile.Read(ref reader.BetweenTransactions) && commits.Count == 0 && received > connection.LastFlushedLsn)
        {
            connection.SetReplicationStatus(received);
        }
    }

    private async Task EnsurePublicationAsync(RefreshOptions settings, CancellationToken cancellationToken)
    {
        await using var exists = database.CreateCommand("SELECT EXISTS (SELECT FROM pg_publication WHERE pubname = @name)");
        exists.Parameters.AddWithValue("name", settings.ReplicationPublication);
        if ((bool)(await exists.ExecuteScalarAsync(cancellationToken))!)
        {
            return;
        }

        // Names are plain identifiers (RefreshOptionsValidator), so they are safe to write into the statement.
        await using var create = database.CreateCommand($"CREATE PUBLICATION {settings.ReplicationPublication} FOR TABLE {settings.ReplicationTable}");
        try
        {
            await create.ExecuteNonQueryAsync(cancellationToken);
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.DuplicateObject)
        {
            // Another instance made it a moment ago.
        }
    }

    private async Task EnsureSlotAsync(LogicalReplicationConnection connection, RefreshOptions settings, CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand("SELECT database, plugin, current_database() FROM pg_replication_slots WHERE slot_name = @slot");
        command.Parameters.AddWithValue("slot", settings.ReplicationSlot);
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            if (await reader.ReadAsync(cancellationToken))
            {
                var (slotDatabase, plugin, current) = (reader.IsDBNull(0) ? null : reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetString(1), reader.GetString(2));
                if (slotDatabase != current || plugin != "pgoutput")
                {
                    throw new InvalidOperationException($"Replication slot '{settings.ReplicationSlot}' belongs to database '{slotDatabase}' with plugin '{plugin}', not to '{current}' with pgoutput; set Ranking:Refresh:ReplicationSlot to another name.");
                }

                return;
            }
        }

        try
        {
            await connection.CreatePgOutputReplicationSlot(settings.ReplicationSlot, slotSnapshotInitMode: LogicalSlotSnapshotInitMode.NoExport, cancellationToken: cancellationToken);
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.DuplicateObject)
        {
            // Another instance made it a moment ago.
        }
    }

    // ConnectionStrings:PostgresReplication, for a role with the REPLICATION attribute, or else ConnectionStrings:Postgres.
    private string ReplicationConnectionString() =>
        configuration.GetConnectionString("PostgresReplication") is { Length: > 0 } replication ? replication : configuration.GetConnectionString("Postgres")!;

    private void Failed(Exception ex, TimeSpan retry)
    {
        var reason = ex switch
        {
            PostgresException { SqlState: PostgresErrorCodes.InsufficientPrivilege } pg =>
                $"{pg.MessageText} (the stream's role needs the REPLICATION attribute, and CREATE on the database and ownership of the table to create the publication)",
            PostgresException { SqlState: PostgresErrorCodes.ObjectInUse } pg => $"{pg.MessageText} (another instance reads the slot)",
            PostgresException pg => $"{pg.MessageText} ({pg.SqlState})",
            _ => ex.Message,
        };

        // Once per reason, not once per retry.
        if (Interlocked.Exchange(ref _failure, reason) != reason)
        {
            Log.Unavailable(logger, reason, retry, ex);
        }
    }

    private void Stopped()
    {
        Interlocked.Exchange(ref _streamingEpoch, 0);
        metrics.Streaming(false);
    }

    /// <summary>Where the reader is: messages taken from the stream, and whether it is between transactions.</summary>
    private sealed class ReaderState
    {
        public long Messages;
        public bool BetweenTransactions = true;
    }

    /// <summary>A committed transaction's groups, where it ends in the WAL and when it committed.</summary>
    private sealed record Commit(IReadOnlyCollection<string> Groups, NpgsqlTypes.NpgsqlLogSequenceNumber End, DateTime At);

    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.ChangeStreamUnavailable, Level = LogLevel.Warning, Message = "Change stream unavailable: {Reason}. The producer polls PostgreSQL every period instead, and tries the stream again every {Retry}.")]
        public static partial void Unavailable(ILogger logger, string reason, TimeSpan retry, Exception exception);

        [LoggerMessage(EventId = EventIds.ChangeStreamStreaming, Level = LogLevel.Information, Message = "Change stream reading slot {Slot} through publication {Publication}: changed groups are queued as they commit.")]
        public static partial void Streaming(ILogger logger, string slot, string publication);

        [LoggerMessage(EventId = EventIds.ChangeStreamResumed, Level = LogLevel.Information, Message = "Change stream back: changed groups are queued as they commit again.")]
        public static partial void Resumed(ILogger logger);

        [LoggerMessage(EventId = EventIds.ChangeStreamTruncate, Level = LogLevel.Warning, Message = "{Table} was truncated: which groups it held is not in the stream, so their cached rankings stay until purged (POST /_admin/purge) or until Ranking:Refresh:RetainFor.")]
        public static partial void Truncate(ILogger logger, string table);
    }
}

/// <summary>A replication slot's WAL retained and not yet confirmed (bytes), and whether a stream reads it.</summary>
internal sealed record SlotLag(long Retained, long Unconfirmed, bool Active);
