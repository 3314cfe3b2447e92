namespace Ranking.Gateway.LoadTests.Hosting;

/// <summary>Stops and starts the Redis the started gateways use (the redis-outage scenario).</summary>
internal interface IRedisControl : IAsyncDisposable
{
    /// <summary>host:port for the gateways' <c>ConnectionStrings:Redis</c>.</summary>
    string ConnectionString { get; }

    string Description { get; }

    /// <summary>How <see cref="StopAsync"/> and <see cref="StartAsync"/> do it, for the report.</summary>
    string StopStart { get; }

    Task StopAsync();

    /// <summary>Starts Redis and returns once it accepts connections.</summary>
    Task StartAsync();
}
