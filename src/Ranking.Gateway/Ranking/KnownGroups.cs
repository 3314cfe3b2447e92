using Microsoft.Extensions.Options;
using Ranking.Gateway.Hosting;
using Ranking.Gateway.Refresh;

namespace Ranking.Gateway.Ranking;

/// <summary>
/// Which group ids exist, so that an id that does not costs no more than a hit: on by default with a PostgreSQL origin
/// (<c>Ranking:RejectUnknownGroups</c>), an id outside the set is a 404 without a query, so a flood of random ids never
/// reaches Redis or PostgreSQL. The set is a Bloom filter (<see cref="GroupFilter"/>: about 1.2 bytes a group; an id
/// that does not exist passes for <c>Ranking:KnownGroupsFalsePositiveRate</c> of them and takes the usual miss path,
/// a cached 404). It is read whole with <c>Ranking:GroupsSql</c> every <c>Ranking:KnownGroupsRefresh</c>, sized from
/// the last count, and in between it learns the groups that changed (<c>Ranking:ChangedGroupsSql</c>) every
/// <c>Ranking:KnownGroupsPoll</c>, so a new group is readable within about that long. Until the first read completes
/// (or while reads fail), nothing is rejected.
/// </summary>
internal sealed partial class KnownGroups(GroupCatalog catalog, IOptions<RankingOptions> options, ILogger<KnownGroups> logger) : BackgroundService
{
    // A change is looked for this far behind the last poll: a transaction's updated_at is its start, and it becomes
    // visible when it commits. A group first written by a longer transaction is learnt by the next full read.
    private static readonly TimeSpan CommitLag = TimeSpan.FromSeconds(10);

    // After a failed read, the next try waits this long (at most KnownGroupsRefresh), not one poll: a listing that cannot
    // run (a schema without the default tables, say) is retried and logged once a minute, not every two seconds.
    private static readonly TimeSpan RetryAfterFailure = TimeSpan.FromMinutes(1);

    private volatile GroupFilter? _filter;

    /// <summary>Whether ids outside the set are rejected (explicitly, or by default with a PostgreSQL origin).</summary>
    public bool Enabled => options.Value.RejectUnknownGroups ?? options.Value.Origin == RankingOriginKind.Postgres;

    /// <summary>False only when the set is known and the group is certainly not in it.</summary>
    public bool MayExist(string group) => _filter is not { } filter || filter.MayContain(group);

    /// <summary>How many groups the last full read found (null before the first one).</summary>
    public long? Count { get; private set; }

    /// <summary>Reads the whole set now, into a filter sized for what it finds; returns when the database's clock read before it.</summary>
    public async Task<DateTime> ReloadAsync(CancellationToken cancellationToken)
    {
        var started = await catalog.NowAsync(cancellationToken);
        var expected = Math.Max(Count ?? 0, options.Value.KnownGroupsExpected);
        var filter = new GroupFilter((long)(expected * 1.25), options.Value.KnownGroupsFalsePositiveRate);
        var count = 0L;
        await foreach (var page in catalog.PagesAsync(cancellationToken))
        {
            foreach (var group in page)
            {
                filter.Add(group);
            }

            count += page.Count;
        }

        (_filter, Count) = (filter, count);
        Log.Reloaded(logger, count, filter.Bytes / 1024, filter.FalsePositiveRate());
        return started;
    }

    /// <summary>Adds the groups changed since <paramref name="since"/> (less the commit lag); returns the database's clock read before.</summary>
    public async Task<DateTime> LearnChangesAsync(DateTime since, CancellationToken cancellationToken)
    {
        var started = await catalog.NowAsync(cancellationToken);
        if (_filter is { } filter)
        {
            await foreach (var change in catalog.ChangedSinceAsync(since - CommitLag, cancellationToken))
            {
                filter.Add(change.Group);
            }
        }

        return started;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!Enabled)
        {
            return;
        }

        var reloadAt = DateTime.MinValue;
        var since = DateTime.MinValue;
        while (!stoppingToken.IsCancellationRequested)
        {
            var wait = options.Value.KnownGroupsPoll;
            try
            {
                if (DateTime.UtcNow >= reloadAt)
                {
                    since = await ReloadAsync(stoppingToken);
                    reloadAt = DateTime.UtcNow + options.Value.KnownGroupsRefresh;
                }
                else
                {
                    since = await LearnChangesAsync(since, stoppingToken);
                }
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                // The previous set stands (or none: nothing is rejected). The next try is a full read: a failed look at the
                // changes may have missed new groups, which would otherwise be refused until the next full read.
                Log.ReadFailed(logger, ex);
                reloadAt = DateTime.MinValue;
                wait = RetryAfterFailure < options.Value.KnownGroupsRefresh ? RetryAfterFailure : options.Value.KnownGroupsRefresh;
            }

            await Task.Delay(wait, stoppingToken);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.KnownGroupsReadFailed, Level = LogLevel.Warning, Message = "Could not read the known groups; the previous set stands.")]
        public static partial void ReadFailed(ILogger logger, Exception exception);

        [LoggerMessage(EventId = EventIds.KnownGroupsRead, Level = LogLevel.Information, Message = "Known groups read: {Count} groups, filter {KiB} KiB, false positives about {Rate:P2} of unknown ids.")]
        public static partial void Reloaded(ILogger logger, long count, long kiB, double rate);
    }
}
