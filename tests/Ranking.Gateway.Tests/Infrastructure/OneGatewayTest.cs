using Microsoft.Extensions.Time.Testing;

namespace Ranking.Gateway.Tests.Infrastructure;

/// <summary>
/// A test class with one gateway host on the class's own database and key prefix, a fake clock, a client,
/// and a Redis connection of the test's own to look at keys.
/// </summary>
public abstract class OneGatewayTest(TestDatabase database, IDictionary<string, string?>? settings = null)
    : IClassFixture<TestDatabase>, IAsyncLifetime
{
    protected TestDatabase Database => database;

    protected FakeTimeProvider Time { get; } = new(DateTimeOffset.UtcNow);

    protected string Prefix { get; } = RealServices.NewKeyPrefix();

    protected GatewayHost Host { get; private set; } = null!;

    protected HttpClient Client { get; private set; } = null!;

    protected RedisProbe Redis { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Host = new GatewayHost(database, Prefix, Time, settings ?? GatewayHost.Policy());
        Client = Host.CreateClient();
        Redis = await RedisProbe.ConnectAsync();
    }

    public async Task DisposeAsync()
    {
        Client.Dispose();
        await Host.DisposeAsync();
        await Redis.DisposeAsync();
    }
}
