using System.Globalization;
using StackExchange.Redis;

namespace Ranking.Gateway.Refresh.Queue;

/// <summary>
/// The dead-letter streams of the queue's shards (<c>{prefix}{refresh:N}:dead</c>), for operators: list what is there,
/// queue some or all of it again (once the cause is fixed), or drop it. A letter is named <c>N/id</c>: its shard and its
/// id in that shard's dead-letter stream.
/// </summary>
internal sealed class DeadLetters(IConnectionMultiplexer redis, RefreshQueue queue)
{
    // Queues the groups of the named letters again (unless already queued) and removes the letters, in one step per shard.
    // KEYS = dead, queued, stream; ARGV = now, then letter ids.
    private const string RequeueScript = """
        local requeued = 0
        for i = 2, #ARGV do
          local letter = redis.call('XRANGE', KEYS[1], ARGV[i], ARGV[i])
          if #letter == 1 then
            local fields, group = letter[1][2], nil
            for f = 1, #fields, 2 do
              if fields[f] == 'g' then group = fields[f + 1] end
            end
            if group and redis.call('SADD', KEYS[2], group) == 1 then
              redis.call('XADD', KEYS[3], '*', 'g', group, 't', ARGV[1], 'q', ARGV[1])
            end
            redis.call('XDEL', KEYS[1], ARGV[i])
            requeued = requeued + 1
          end
        end
        return requeued
        """;

    /// <summary>Up to <paramref name="count"/> letters of each shard, oldest first.</summary>
    public async Task<IReadOnlyList<DeadLetter>> ListAsync(int count)
    {
        var database = redis.GetDatabase();
        var shards = await Task.WhenAll(queue.ShardsInUse.Select(async shard =>
            (await database.StreamRangeAsync(shard.DeadLetters, count: count)).Select(e => Letter(shard, e))));
        return [.. shards.SelectMany(s => s)];
    }

    /// <summary>Every letter's name, of every shard.</summary>
    public async Task<IReadOnlyList<string>> AllAsync() => [.. (await ListAsync(int.MaxValue)).Select(l => l.Id)];

    /// <returns>How many of the named letters were there (and are queued again now).</returns>
    public Task<long> RequeueAsync(IEnumerable<string> ids, DateTimeOffset now) =>
        PerShardAsync(ids, async (database, shard, letters) => (long)await database.ScriptEvaluateAsync(
            RequeueScript,
            [shard.DeadLetters, shard.Queued, shard.Stream],
            [now.ToUnixTimeMilliseconds(), .. letters]));

    /// <returns>How many of the named letters were there (and are gone now).</returns>
    public Task<long> DropAsync(IEnumerable<string> ids) =>
        PerShardAsync(ids, (database, shard, letters) => database.StreamDeleteAsync(shard.DeadLetters, letters));

    /// <summary>Whether <paramref name="id"/> names a letter: <c>N/id</c> with a shard in use and a stream id.</summary>
    public bool IsName(string id) => Parse(id) is not null;

    private async Task<long> PerShardAsync(IEnumerable<string> ids, Func<IDatabase, QueueShard, RedisValue[], Task<long>> act)
    {
        var database = redis.GetDatabase();
        var done = await Task.WhenAll(ids.Select(Parse).OfType<(QueueShard Shard, string Id)>().GroupBy(l => l.Shard.Index).Select(shard =>
            act(database, shard.First().Shard, [.. shard.Select(l => (RedisValue)l.Id)])));
        return done.Sum();
    }

    private (QueueShard Shard, string Id)? Parse(string id)
    {
        var slash = id.IndexOf('/', StringComparison.Ordinal);
        var shards = queue.ShardsInUse;
        return slash > 0
            && int.TryParse(id.AsSpan(0, slash), NumberStyles.None, CultureInfo.InvariantCulture, out var index)
            && index < shards.Count
            && id.AsSpan(slash + 1) is var streamId
            && streamId.Length is > 2 and < 42
            && streamId.IndexOf('-') is > 0 and var dash && dash < streamId.Length - 1
            && !streamId[..dash].ContainsAnyExceptInRange('0', '9') && !streamId[(dash + 1)..].ContainsAnyExceptInRange('0', '9')
            ? (shards[index], streamId.ToString())
            : null;
    }

    private static DeadLetter Letter(QueueShard shard, StreamEntry entry)
    {
        var id = entry.Id.ToString();
        var at = long.TryParse(id.AsSpan(0, id.IndexOf('-', StringComparison.Ordinal)), NumberStyles.None, CultureInfo.InvariantCulture, out var ms)
            ? DateTimeOffset.FromUnixTimeMilliseconds(ms)
            : (DateTimeOffset?)null;
        return new DeadLetter($"{shard.Index}/{id}", (string?)entry["g"] ?? "", (long?)entry["deliveries"] ?? 0, (string?)entry["error"] ?? "", at);
    }
}

/// <param name="Id">The letter's name, <c>N/id</c>: its shard and its id in that shard's dead-letter stream.</param>
/// <param name="DeadAt">When it was moved there (its stream id's time, Redis's clock).</param>
internal sealed record DeadLetter(string Id, string Group, long Deliveries, string Error, DateTimeOffset? DeadAt);
