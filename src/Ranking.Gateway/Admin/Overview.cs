using Microsoft.Extensions.Options;
using Ranking.Gateway.Caching;
using Ranking.Gateway.Ranking;
using Ranking.Gateway.Refresh;
using Ranking.Gateway.Refresh.Queue;
using StackExchange.Redis;

namespace Ranking.Gateway.Admin;

/// <summary>
/// <c>GET /_admin/overview</c>, what the operator console shows at a glance: this instance and its refresh mode, the
/// instances that are up, the Queue producer's leader, how it finds changes and the replication slot's WAL (when the
/// slot exists), each queue shard's length, pending and oldest change, and this
/// instance's own counters since it started (the console turns them into rates). What Redis cannot tell while it is
/// away is null, with the reason in <c>problems</c>, and so is what PostgreSQL cannot; never a 5xx for it.
/// </summary>
internal sealed class Overview(
    RefreshInstance instance,
    InstanceRegistry registry,
    RefreshQueue queue,
    ChangeStream stream,
    CacheMetrics cacheMetrics,
    RefreshMetrics refreshMetrics,
    IOptions<RankingOptions> ranking,
    TimeProvider time)
{
    public async Task<IResult> GetAsync()
    {
        var problems = new List<string>();
        var mode = ranking.Value.Refresh.Mode;
        var instances = await TryAsync(registry.ListAsync, "instances", problems);
        string? leader = null;
        SlotLag? slot = null;
        IReadOnlyList<ShardState>? shards = null;
        if (mode == RefreshMode.Queue)
        {
            leader = await TryAsync(async () => (string?)await queue.Database.StringGetAsync(queue.Leader), "leader", problems);
            slot = await TryAsync(() => stream.SlotLagAsync(CancellationToken.None), "replication slot", problems);
            var stats = await TryAsync(() => queue.ShardStatsAsync(time.GetUtcNow()), "queue", problems);
            shards = stats?.Select((s, i) => new ShardState(i, s.Length, s.Pending, s.DeadLetters, s.OldestChangeAge.TotalSeconds, s.OldestDeadLetterAge.TotalSeconds)).ToArray();
        }

        var counters = new InstanceCounters(
            CacheStatusNames.All.Select((name, i) => (name, count: cacheMetrics.Answered((CacheStatus)i))).ToDictionary(a => a.name, a => a.count),
            cacheMetrics.OriginCalls,
            refreshMetrics.BatchCalls);
        return TypedResults.Json(
            new OverviewState(instance.Name, mode.ToString(), ranking.Value.Refresh.Changes.ToString(), time.GetUtcNow(), instances, leader, slot, shards, counters, problems),
            AdminJsonContext.Default.OverviewState);
    }

    private static async Task<T?> TryAsync<T>(Func<Task<T>> read, string what, List<string> problems)
    {
        try
        {
            return await read();
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            problems.Add($"{what}: Redis did not answer");
            return default;
        }
        catch (Npgsql.NpgsqlException)
        {
            problems.Add($"{what}: PostgreSQL did not answer");
            return default;
        }
    }
}

/// <param name="Changes">How the Queue producer finds changed groups (<c>Ranking:Refresh:Changes</c>).</param>
/// <param name="Slot">The change stream's replication slot (Queue mode, whatever <paramref name="Changes"/> says); null when it does not exist.</param>
internal sealed record OverviewState(
    string Instance,
    string Mode,
    string Changes,
    DateTimeOffset At,
    IReadOnlyList<InstanceSeen>? Instances,
    string? Leader,
    SlotLag? Slot,
    IReadOnlyList<ShardState>? Shards,
    InstanceCounters Counters,
    IReadOnlyList<string> Problems);

internal sealed record ShardState(int Shard, long Length, long Pending, long DeadLetters, double OldestChangeAgeSeconds, double OldestDeadLetterAgeSeconds);

/// <summary>This instance's counts since it started: answers by status, single-key origin calls, batched recomputes.</summary>
internal sealed record InstanceCounters(IReadOnlyDictionary<string, long> Answers, long OriginCalls, long BatchCalls);
