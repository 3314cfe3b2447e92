using Microsoft.Extensions.Options;
using Ranking.Gateway.Caching;
using Ranking.Gateway.Refresh;
using StackExchange.Redis;

namespace Ranking.Gateway.Admin;

/// <summary>
/// Which instances are up, for the operator console: each instance writes its name and the time into one sorted set
/// (<c>{prefix}instances</c>) every <see cref="Beat"/>, and leaves it when it stops. An instance not heard from for
/// three beats is not listed (it died, or lost Redis); entries older than a minute are trimmed by whoever beats next.
/// Redis being away only pauses the beat.
/// </summary>
internal sealed class InstanceRegistry(IConnectionMultiplexer redis, RefreshInstance instance, IOptions<GatewayOptions> options, TimeProvider time)
    : BackgroundService
{
    public static readonly TimeSpan Beat = TimeSpan.FromSeconds(5);

    private readonly RedisKey _key = options.Value.KeyPrefix + "instances";

    /// <summary>The instances heard from within three beats, and how long ago each was.</summary>
    public async Task<IReadOnlyList<InstanceSeen>> ListAsync()
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var seen = await redis.GetDatabase().SortedSetRangeByScoreWithScoresAsync(_key, now - (long)(3 * Beat.TotalMilliseconds), double.PositiveInfinity);
        return [.. seen.Select(s => new InstanceSeen((string)s.Element!, Math.Max(0, (now - s.Score) / 1000)))];
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                await BeatAsync();
                await Task.Delay(Beat, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }

        await TryAsync(() => redis.GetDatabase().SortedSetRemoveAsync(_key, instance.Name));
    }

    private Task BeatAsync() => TryAsync(async () =>
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var database = redis.GetDatabase();
        await database.SortedSetAddAsync(_key, instance.Name, now);
        await database.SortedSetRemoveRangeByScoreAsync(_key, double.NegativeInfinity, now - 60_000);
        await database.KeyExpireAsync(_key, TimeSpan.FromMinutes(1));
    });

    private static async Task TryAsync(Func<Task> action)
    {
        try
        {
            await action();
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            // The next beat tries again.
        }
    }
}

/// <summary>An instance that announced itself, and how many seconds ago it last did.</summary>
internal sealed record InstanceSeen(string Name, double SecondsAgo);
