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
/// whose refresh lock another instance holds is left to it. If this instance stops, reads refresh the rest.
/// </summary>
internal sealed partial class PurgePacer(
    RankingReader rankings,
    SwrCache cache,
    RedisEntryStore store,
    RefreshLocks locks,
    PurgeRefreshes pace,
    ILogger<PurgePacer> logger) : BackgroundService
{
    private readonly Channel<string> _groups = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true });

    /// <summary>Groups waiting for their refresh.</summary>
    public int Waiting => _groups.Reader.Count;

    public void Add(IEnumerable<string> groups)
    {
        foreach (var group in groups)
        {
            _groups.Writer.TryWrite(group);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var group in _groups.Reader.ReadAllAsync(stoppingToken))
            {
                await pace.WaitAsync(stoppingToken);
                _ = RefreshAsync(group, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private async Task RefreshAsync(string group, CancellationToken stopping)
    {
        try
        {
            var request = rankings.Request(group);
            if ((await store.GetAsync(request.Key)).Entry is not { } entry || !entry.Flags.HasFlag(EntryFlags.Purged))
            {
                return;
            }

            await using var redLock = await locks.TryAcquireAsync(request.Key, request.Policy.LockExpiry);
            if (redLock is not null && (await cache.RefreshAsync(request)).Outcome == Refreshed.Overloaded && !stopping.IsCancellationRequested)
            {
                // The bulkhead is full: try again later, at the same pace.
                _groups.Writer.TryWrite(group);
            }
        }
        catch (Exception ex)
        {
            Log.RefreshFailed(logger, ex);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.PurgeRefreshFailed, Level = LogLevel.Warning, Message = "A purged group's background refresh failed; a read refreshes it.")]
        public static partial void RefreshFailed(ILogger logger, Exception exception);
    }
}
