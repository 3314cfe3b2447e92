using StackExchange.Redis;

namespace Ranking.Gateway.Refresh.Queue;

/// <summary>
/// One shard of the queue: its stream, the set of groups queued in it, the errors of its failed items and its dead-letter
/// stream, all under the hash tag <c>{refresh:N}</c>, so the scripts that touch them together run in one cluster slot.
/// </summary>
internal sealed class QueueShard(int index, string prefix)
{
    private readonly string _prefix = $"{prefix}{{refresh:{index}}}:";

    public int Index { get; } = index;

    public RedisKey Stream => _prefix + "queue";

    public RedisKey Queued => _prefix + "queued";

    public RedisKey Errors => _prefix + "errors";

    public RedisKey DeadLetters => _prefix + "dead";
}
