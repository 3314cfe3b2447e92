using StackExchange.Redis;

namespace Ranking.Gateway.Caching.Redis;

/// <summary>
/// The change channel, heard: every script that rewrites or deletes an entry, or leaves word that a fill stored nothing,
/// announces the key on it (<see cref="RedisAccess.Changes"/>). Waiters wake on any change (<see cref="Changed"/>);
/// in-process copies are dropped on another instance's (<see cref="ChangedElsewhere"/>), and all of them when
/// announcements may have been missed (<see cref="Lost"/>).
/// </summary>
internal sealed class EntryChanges
{
    private readonly RedisAccess _redis;

    public EntryChanges(RedisAccess redis, IConnectionMultiplexer multiplexer)
    {
        _redis = redis;

        // Pub/sub delivers nothing that was published while the subscription was down: its return (SE.Redis subscribes
        // again) means "changes may have been missed", for every copy kept before and during the gap.
        multiplexer.ConnectionRestored += (_, e) => OnSubscriptionEvent(e.ConnectionType);
    }

    /// <summary>Raised for every change, this instance's own included (the key is passed).</summary>
    public event Action<string>? Changed;

    /// <summary>Raised when another instance changed an entry (the key is passed).</summary>
    public event Action<string>? ChangedElsewhere;

    /// <summary>Raised when this instance's subscription came back after a failure: announcements may have been missed.</summary>
    public event Action? Lost;

    /// <summary>Subscribes to the channel; called once at start-up and retried until Redis answers.</summary>
    public Task SubscribeAsync() => _redis.Subscriber.SubscribeAsync(_redis.Changes, (_, message) => OnChanged(message));

    private void OnSubscriptionEvent(ConnectionType type)
    {
        if (type == ConnectionType.Subscription)
        {
            Lost?.Invoke();
        }
    }

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
        if (!text.AsSpan(0, separator).SequenceEqual(_redis.InstanceId))
        {
            ChangedElsewhere?.Invoke(key);
        }
    }
}
