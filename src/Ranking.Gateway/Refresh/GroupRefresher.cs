using Ranking.Gateway.Caching;
using Ranking.Gateway.Hosting;
using Ranking.Gateway.Ranking;

namespace Ranking.Gateway.Refresh;

/// <summary>
/// Recomputes groups' Top-100s for the background modes and stores them with the read path's compare-and-set, so a
/// recompute never overwrites a newer entry and every instance drops its in-process copy.
/// </summary>
internal sealed partial class GroupRefresher(
    SwrCache cache,
    RankingReader reader,
    IRankingOrigin origin,
    RefreshMetrics metrics,
    OriginHealth health,
    TimeProvider time,
    IHostApplicationLifetime lifetime,
    ILogger<GroupRefresher> logger)
{
    /// <summary>One group, with the single-group Top-N query.</summary>
    public Task<Refreshed> RefreshAsync(string group) => cache.RefreshAsync(reader.Request(group));

    /// <summary>
    /// Many groups with one SQL statement, their entries written pipelined. When the statement fails, each group is
    /// recomputed alone, so one group that cannot be recomputed does not hold back the rest of its batch.
    /// </summary>
    /// <returns>Each group's outcome.</returns>
    public async Task<IReadOnlyDictionary<string, Refreshed>> RefreshBatchAsync(IReadOnlyList<string> groups)
    {
        using var activity = GatewayTracing.Source.StartActivity(GatewayTracing.Batch);
        activity?.SetTag(GatewayTracing.Policy, reader.PolicyName).SetTag(GatewayTracing.Groups, groups.Count);
        var outcomes = await RecomputeAsync(groups);
        activity?.SetTag(GatewayTracing.Outcome, outcomes.Values.All(o => o.Succeeded) ? "ok" : outcomes.Values.Any(o => o.Succeeded) ? "partial" : "failed");
        return outcomes;
    }

    private async Task<IReadOnlyDictionary<string, Refreshed>> RecomputeAsync(IReadOnlyList<string> groups)
    {
        var startedAt = time.GetUtcNow();
        var started = time.GetTimestamp();
        IReadOnlyDictionary<string, OriginResponse> answers;
        using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(lifetime.ApplicationStopping))
        {
            timeout.CancelAfter(reader.Policy.OriginTimeout);
            try
            {
                answers = await origin.FetchManyAsync(groups, timeout.Token);
                health.Answered();
                metrics.Batch(reader.PolicyName, "ok", time.GetElapsedTime(started));
            }
            catch (Exception ex) when (!lifetime.ApplicationStopping.IsCancellationRequested)
            {
                metrics.Batch(reader.PolicyName, ex is OperationCanceledException ? "timeout" : "error", time.GetElapsedTime(started));
                Log.BatchFailed(logger, groups.Count, ex);
                return await OneByOneAsync(groups);
            }
        }

        var duration = time.GetElapsedTime(started);
        var stores = groups.Distinct(StringComparer.Ordinal).Select(async group =>
        {
            var response = answers.GetValueOrDefault(group) ?? RankingResponses.NotFound(group);
            var (entry, notStored) = EntryFactory.Create(reader.Policy, response, startedAt, duration);
            var outcome = notStored is null ? Refreshed.OfStore(await cache.StoreAsync(reader.Request(group), entry)) : new Refreshed(Refreshed.NotStored);
            return (group, outcome);
        });
        return (await Task.WhenAll(stores)).ToDictionary(r => r.group, r => r.outcome, StringComparer.Ordinal);
    }

    private async Task<IReadOnlyDictionary<string, Refreshed>> OneByOneAsync(IReadOnlyList<string> groups)
    {
        var outcomes = new Dictionary<string, Refreshed>(StringComparer.Ordinal);
        foreach (var group in groups.Distinct(StringComparer.Ordinal))
        {
            outcomes[group] = await RefreshAsync(group);
        }

        return outcomes;
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.BatchFailed, Level = LogLevel.Warning, Message = "A batch of {Count} groups could not be recomputed in one query; recomputing them one by one.")]
        public static partial void BatchFailed(ILogger logger, int count, Exception exception);
    }
}
