using System.Threading.Channels;
using Ranking.Gateway.Caching;
using Ranking.Gateway.Caching.Redis;
using Ranking.Gateway.Hosting;
using Ranking.Gateway.Ranking;

namespace Ranking.Gateway.Admin;

/// <summary>
/// Refreshes the ranking groups a soft purge marked, on the instance that took the call, at the purge pace
/// (<see cref="PurgeRefreshes"/>) and through the policy's bulkhead, so every purged group is fresh again in groups ÷ rate
/// seconds whether it is read or not. A group already refreshed (by a read, another instance) or gone is skipped; one
/// whose refresh lock another instance holds is left to it; a refresh that failed (the bulkhead full, the origin or Redis
/// failing) is tried again a second later, up to five times. If this instance stops, reads refresh the rest.
/// </summary>
internal sealed partial class PurgePacer(
    RankingReader rankings,
    SwrCache cache,
    RedisEntryStore store,
    RedisAccess redis,
    RefreshLocks locks,
    PurgeRefreshes pace,
    ILogger<PurgePacer> logger) : BackgroundService
{
    /// <summary>Tries per group when the origin fails or the bulkhead is full; while Redis is away a group waits without using one.</summary>
    private const int Tries = 5;

    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(1);

    private readonly Channel<(string Group, int Try)> _groups = Channel.CreateUnbounded<(string, int)>(new UnboundedChannelOptions { SingleReader = true });

    /// <summary>Groups waiting for their refresh.</summary>
    public int Waiting => _groups.Reader.Count;

    public void Add(IEnumerable<string> groups)
    {
        foreach (var group in groups)
        {
            _groups.Writer.TryWrite((group, 1));
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var (group, attempt) in _groups.Reader.ReadAllAsync(stoppingToken))
            {
                await pace.WaitAsync(stoppingToken);
                _ = RefreshAsync(group, attempt, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private async Task RefreshAsync(string group, int attempt, CancellationToken stopping)
    {
        try
        {
            var outcome = await TryRefreshAsync(group);
            if (outcome == Outcome.Again || (outcome == Outcome.Failed && attempt < Tries))
            {
                await Task.Delay(RetryDelay, stopping);
                _groups.Writer.TryWrite((group, outcome == Outcome.Again ? attempt : attempt + 1));
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            Log.RefreshFailed(logger, ex);
        }
    }

    private async Task<Outcome> TryRefreshAsync(string group)
    {
        var request = rankings.Request(group);
        var read = await store.GetAsync(request.Key);
        if (!read.Available)
        {
            return Outcome.Again;
        }

        if (read.Entry is not { } entry || !entry.Flags.HasFlag(EntryFlags.Purged))
        {
            // Refreshed already (by a read, another instance), or gone: the next read fetches it.
            return Outcome.Done;
        }

        await using var redLock = await locks.TryAcquireAsync(request.Key, request.Policy.LockExpiry);
        if (redLock is null)
        {
            // Another instance refreshes it now, unless Redis went away.
            return redis.IsAvailable ? Outcome.Done : Outcome.Again;
        }

        var refreshed = await cache.RefreshAsync(request);
        return refreshed.Succeeded ? Outcome.Done : refreshed.Outcome == Refreshed.NotStored ? Outcome.Again : Outcome.Failed;
    }

    private enum Outcome
    {
        /// <summary>Nothing more for this instance to do.</summary>
        Done,

        /// <summary>Redis is away: tried again once it may be back, without counting a try.</summary>
        Again,

        /// <summary>The origin failed or the bulkhead was full: tried again, up to <see cref="Tries"/> times.</summary>
        Failed,
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.PurgeRefreshFailed, Level = LogLevel.Warning, Message = "A purged group's background refresh failed; a read refreshes it.")]
        public static partial void RefreshFailed(ILogger logger, Exception exception);
    }
}
