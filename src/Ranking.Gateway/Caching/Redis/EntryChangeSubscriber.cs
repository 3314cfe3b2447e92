using Ranking.Gateway.Hosting;

namespace Ranking.Gateway.Caching.Redis;

/// <summary>Subscribes to the entry-change channel at start-up, retrying while Redis is away.</summary>
internal sealed partial class EntryChangeSubscriber(EntryChanges changes, ILogger<EntryChangeSubscriber> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await changes.SubscribeAsync();
                return;
            }
            catch (Exception ex) when (ex is StackExchange.Redis.RedisException or TimeoutException)
            {
                Log.SubscribeFailed(logger, ex);
                await Task.Delay(TimeSpan.FromSeconds(2), stoppingToken);
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.ChangeSubscriptionFailed, Level = LogLevel.Warning, Message = "Could not subscribe to entry changes yet; retrying.")]
        public static partial void SubscribeFailed(ILogger logger, Exception exception);
    }
}
