using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Ranking.Gateway.Tests.Infrastructure;

namespace Ranking.Gateway.Tests.Refresh;

/// <summary>
/// A database of the test's own and gateway hosts of one fleet on it: one key prefix, one fake clock starting at a
/// period boundary, so "which period is it" is the same for every host and moves only when the test says.
/// </summary>
public sealed class RefreshFleet : IAsyncDisposable
{
    private readonly List<(GatewayHost Host, HttpClient Client)> _hosts = [];

    private RefreshFleet(TestDatabase database, TimeSpan period)
    {
        Database = database;
        Period = period;
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var periodMs = (long)period.TotalMilliseconds;
        Time = new FakeTimeProvider(DateTimeOffset.FromUnixTimeMilliseconds(now / periodMs * periodMs));
    }

    public TestDatabase Database { get; }

    public TimeSpan Period { get; }

    public FakeTimeProvider Time { get; }

    public string Prefix { get; } = RealServices.NewKeyPrefix();

    public static async Task<RefreshFleet> CreateAsync(TimeSpan period)
    {
        var database = new TestDatabase();
        await database.InitializeAsync();
        return new RefreshFleet(database, period);
    }

    /// <summary>
    /// Settings for a host in <paramref name="mode"/>: the test policy (no jitter; fresh 60 s) and this fleet's period.
    /// </summary>
    public Dictionary<string, string?> Settings(string mode, IDictionary<string, string?>? more = null)
    {
        var settings = GatewayHost.Policy();
        settings["Ranking:Refresh:Mode"] = mode;
        settings["Ranking:Refresh:Period"] = Period.ToString();
        foreach (var (key, value) in more ?? new Dictionary<string, string?>())
        {
            settings[key] = value;
        }

        return settings;
    }

    /// <summary>Starts a host (its background refresh work starts with it) and returns it with a client.</summary>
    public (GatewayHost Host, HttpClient Client) Start(IDictionary<string, string?> settings, Action<IServiceCollection>? services = null)
    {
        var host = new GatewayHost(Database, Prefix, Time, settings, services: services);
        var started = (host, host.CreateClient());
        _hosts.Add(started);
        return started;
    }

    public T Service<T>(GatewayHost host)
        where T : notnull => host.Services.GetRequiredService<T>();

    public async Task StopAsync(GatewayHost host)
    {
        var index = _hosts.FindIndex(h => h.Host == host);
        _hosts[index].Client.Dispose();
        await host.DisposeAsync();
        _hosts.RemoveAt(index);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var (host, client) in _hosts)
        {
            client.Dispose();
            await host.DisposeAsync();
        }

        await Database.DisposeAsync();
    }
}
