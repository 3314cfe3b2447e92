using Microsoft.Extensions.Options;
using Ranking.Gateway.Caching.FreshnessPolicies;
using Ranking.Gateway.Hosting;
using Ranking.Gateway.Ranking;
using Ranking.Gateway.Refresh.CompetingLocks;
using Ranking.Gateway.Refresh.Queue;
using StackExchange.Redis;

namespace Ranking.Gateway.Refresh;

/// <summary>
/// Runs the configured refresh mode's background work: the walker (CompetingLocks), or the producer, the consumers and
/// the vouch watcher (Queue). Lazy and Early have none. Every loop handles its own failures, so background work can
/// stop being useful but never stops the gateway.
/// </summary>
internal sealed partial class RefreshService(IOptions<RankingOptions> options, IServiceProvider services, ILogger<RefreshService> logger) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) => options.Value.Refresh.Mode switch
    {
        RefreshMode.CompetingLocks => services.GetRequiredService<GroupWalker>().RunAsync(stoppingToken),
        RefreshMode.Queue => RunQueueAsync(stoppingToken),
        _ => Task.CompletedTask,
    };

    private async Task RunQueueAsync(CancellationToken stopping)
    {
        var queue = services.GetRequiredService<RefreshQueue>();
        var consumer = services.GetRequiredService<QueueConsumer>();
        var producer = services.GetRequiredService<QueueProducer>();
        await SubscribeAsync(queue, consumer, stopping);
        var consumers = Enumerable.Range(0, options.Value.Refresh.Consumers).Select(i => consumer.RunAsync(i, stopping));
        await Task.WhenAll([producer.RunAsync(stopping), WatchVouchAsync(queue, stopping), .. consumers]);
    }

    // The consumers' wake-up call; retried until Redis answers (consumers poll meanwhile).
    private async Task SubscribeAsync(RefreshQueue queue, QueueConsumer consumer, CancellationToken stopping)
    {
        var subscriber = services.GetRequiredService<IConnectionMultiplexer>().GetSubscriber();
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                await SyncShardsAsync(queue);
                await queue.EnsureConsumerGroupAsync();
                await subscriber.SubscribeAsync(queue.Wake, (_, _) => consumer.WakeUp());
                return;
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException)
            {
                Log.NotReady(logger, ex);
                await Task.Delay(TimeSpan.FromSeconds(1), stopping);
            }
        }
    }

    // Every instance keeps a copy of the producer's vouch, and of the shard count in use; a second old at most.
    private async Task WatchVouchAsync(RefreshQueue queue, CancellationToken stopping)
    {
        var vouch = services.GetRequiredService<QueueVouch>();
        var intake = services.GetRequiredService<QueueIntake>();
        var every = TimeSpan.FromTicks(Math.Min(TimeSpan.FromSeconds(1).Ticks, options.Value.Refresh.Period.Ticks / 2));
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                vouch.Set(await intake.GetVouchAsync());
                await SyncShardsAsync(queue);
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException)
            {
                // The last copy stands until it runs out.
            }

            await Task.Delay(every, stopping);
        }
    }

    private async Task SyncShardsAsync(RefreshQueue queue)
    {
        var known = queue.ShardsInUse.Count;
        var inUse = await queue.SyncShardsAsync();
        if (inUse > known)
        {
            Log.MoreShards(logger, queue.Shards.Count, inUse);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.MoreShardsInUse, Level = LogLevel.Warning, Message = "Ranking:Refresh:QueueShards is {Configured} here, but an instance of the fleet uses {InUse}: this instance reads all {InUse} shards and queues into {Configured}. Give every instance the same QueueShards.")]
        public static partial void MoreShards(ILogger logger, int configured, int inUse);

        [LoggerMessage(EventId = EventIds.QueueNotReady, Level = LogLevel.Warning, Message = "The refresh queue is not reachable yet; retrying.")]
        public static partial void NotReady(ILogger logger, Exception exception);
    }
}
