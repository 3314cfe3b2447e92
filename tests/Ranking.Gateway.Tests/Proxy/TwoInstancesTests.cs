using Microsoft.Extensions.Time.Testing;
using Ranking.Gateway.Tests.Infrastructure;

namespace Ranking.Gateway.Tests.Proxy;

/// <summary>
/// The setting of the cached-route tests: two gateway instances (<see cref="ProxyHosts"/>) on one Redis, in front of one
/// upstream, on fake time.
/// </summary>
public abstract class TwoInstancesTests(TestDatabase database) : IClassFixture<TestDatabase>, IAsyncLifetime
{
    protected FakeTimeProvider Time { get; } = new(DateTimeOffset.UtcNow);

    protected UpstreamServer Upstream { get; } = new();

    protected string Prefix { get; } = RealServices.NewKeyPrefix();

    protected GatewayHost A { get; private set; } = null!;

    protected GatewayHost B { get; private set; } = null!;

    /// <summary>A client of each instance: A's, then B's.</summary>
    protected HttpClient[] Clients { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        await Upstream.StartAsync();
        A = ProxyHosts.Create(database, Prefix, Time, Upstream);
        B = ProxyHosts.Create(database, Prefix, Time, Upstream);
        Clients = [A.CreateClient(), B.CreateClient()];
    }

    public async Task DisposeAsync()
    {
        await A.DisposeAsync();
        await B.DisposeAsync();
        await Upstream.DisposeAsync();
    }
}
