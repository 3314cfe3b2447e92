using System.Collections.Frozen;
using Microsoft.Extensions.Options;
using Ranking.Gateway.Hosting;
using Ranking.Gateway.Refresh;

namespace Ranking.Gateway.Ranking;

/// <summary>
/// With <c>Ranking:RejectUnknownGroups</c>, the set of group ids that exist, read with <c>Ranking:GroupsSql</c> (the
/// group listing the refresh modes use) and read again every <c>Ranking:KnownGroupsRefresh</c>: an id outside it is a
/// 404 without a query, so a flood of random ids never reaches PostgreSQL. A group created since the last read becomes
/// readable within one refresh. Until the first read completes (or when it fails), nothing is rejected.
/// </summary>
internal sealed partial class KnownGroups(GroupCatalog catalog, IOptions<RankingOptions> options, ILogger<KnownGroups> logger) : BackgroundService
{
    private volatile FrozenSet<string>? _groups;

    /// <summary>False only when the set is known and the group is not in it.</summary>
    public bool MayExist(string group) => !options.Value.RejectUnknownGroups || _groups is not { } groups || groups.Contains(group);

    /// <summary>How many groups the last read found (null before the first one).</summary>
    public int? Count => _groups?.Count;

    /// <summary>Reads the set now; the background loop does this every refresh period.</summary>
    public async Task ReloadAsync(CancellationToken cancellationToken)
    {
        var groups = new HashSet<string>(StringComparer.Ordinal);
        await foreach (var page in catalog.PagesAsync(cancellationToken))
        {
            groups.UnionWith(page);
        }

        _groups = groups.ToFrozenSet(StringComparer.Ordinal);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.RejectUnknownGroups)
        {
            return;
        }

        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await ReloadAsync(stoppingToken);
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                // The previous set stands (or none: nothing is rejected).
                Log.ReloadFailed(logger, ex);
            }

            await Task.Delay(options.Value.KnownGroupsRefresh, stoppingToken);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.KnownGroupsReadFailed, Level = LogLevel.Warning, Message = "Could not read the known groups; the previous set stands.")]
        public static partial void ReloadFailed(ILogger logger, Exception exception);
    }
}
