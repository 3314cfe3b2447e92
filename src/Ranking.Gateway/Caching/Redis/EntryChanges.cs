using StackExchange.Redis;

namespace Ranking.Gateway.Caching.Redis;

/// <summary>
/// The change channel, heard: every script that rewrites or deletes an entry, or leaves word that a fill stored nothing,
/// announces the key on it (<see cref="RedisAccess.Changes"/>). Waiters wake on any change (<see cref="Changed"/>);
/// in-process copies are dropped on another instance's (<see cref="ChangedElsewhere"/>).
/// </summary>
internal sealed class EntryChanges(RedisAccess redis)
{
    /// <summary>Raised for every change, this instance's own included (the key is passed).</summary>
    public event Action<string>? Changed;

    /// <summary>Raised when another instance changed an entry (the key is passed).</summary>
    public event Action<string>? ChangedElsewhere;

    /// <summary>Subscribes to the channel; called once at start-up and retried until Redis answers.</summary>
    public Task SubscribeAsync() => redis.Subscriber.SubscribeAsync(redis.Changes, (_, message) => OnChanged(message));

    private void OnChanged(RedisValue message)
    {
        var text = (string?)message;
        var separator = text?.IndexOf('\n') ?? -1;
        if (text is null || separator < 0)
        {
            return;
        }

        var key = text[(separator + 1)..];
        Changed?.Invoke(key);
        if (!text.AsSpan(0, separator).SequenceEqual(redis.InstanceId))
        {
            ChangedElsewhere?.Invoke(key);
        }
    }
}
