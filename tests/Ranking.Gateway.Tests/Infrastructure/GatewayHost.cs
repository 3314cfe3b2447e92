using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Ranking.Gateway.Ranking;

namespace Ranking.Gateway.Tests.Infrastructure;

/// <summary>
/// One gateway instance in the test process, on the real Redis and the class's own database. Several hosts
/// built with the same database, key prefix and clock behave like instances of one fleet.
/// </summary>
public sealed class GatewayHost(
    TestDatabase database,
    string keyPrefix,
    FakeTimeProvider time,
    IDictionary<string, string?>? settings = null,
    string? redis = null,
    string? settingsFile = null,
    Action<IServiceCollection>? services = null) : WebApplicationFactory<Program>
{
    public OriginFaults Faults { get; } = new();

    public FakeTimeProvider Time => time;

    /// <summary>Test-friendly policy: no jitter, so lifetimes are exact.</summary>
    public static Dictionary<string, string?> Policy(
        TimeSpan? fresh = null,
        TimeSpan? stale = null,
        TimeSpan? staleIfError = null,
        TimeSpan? missWait = null) => new()
    {
        ["Gateway:Policies:ranking:Fresh"] = (fresh ?? TimeSpan.FromSeconds(60)).ToString(),
        ["Gateway:Policies:ranking:FreshJitter"] = "00:00:00",
        ["Gateway:Policies:ranking:Stale"] = (stale ?? TimeSpan.FromMinutes(10)).ToString(),
        ["Gateway:Policies:ranking:StaleIfError"] = (staleIfError ?? TimeSpan.FromHours(1)).ToString(),
        ["Gateway:Policies:ranking:MissWait"] = (missWait ?? TimeSpan.FromSeconds(10)).ToString(),
    };

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseContentRoot(AppContext.BaseDirectory);
        builder.UseEnvironment("Testing");
        builder.ConfigureAppConfiguration((_, config) =>
        {
            if (settingsFile is not null)
            {
                // Like appsettings.json: edits reload while the host runs.
                config.AddJsonFile(settingsFile, optional: false, reloadOnChange: true);
            }

            var values = new Dictionary<string, string?>
            {
                ["ConnectionStrings:Redis"] = redis ?? RealServices.Redis,
                ["ConnectionStrings:Postgres"] = database.ConnectionString,
                ["Gateway:KeyPrefix"] = keyPrefix,
                ["Gateway:RedisBreakDuration"] = "00:00:00.500",
                // Generous: the whole suite shares two cores, and a slow Redis answer would read as an outage
                // (BYPASS). A stopped Redis still fails at once: commands are not queued while disconnected.
                ["Gateway:RedisTimeout"] = "00:00:05",
                ["Logging:LogLevel:Default"] = "Warning",
                // Tests seed groups and read them at once; the known-groups filter (on by default) would answer 404 until
                // its next poll. RejectUnknownGroupsTests tests it, the default included.
                ["Ranking:RejectUnknownGroups"] = "false",
            };
            foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
            {
                values[key] = value;
            }

            config.AddInMemoryCollection(values);
        });
        builder.ConfigureServices(collection =>
        {
            services?.Invoke(collection);
            collection.AddSingleton<TimeProvider>(time);
            // Wrap whichever origin the configuration chose, so faults can be injected into it.
            var configured = collection.Last(d => d.ServiceType == typeof(IRankingOrigin));
            collection.Remove(configured);
            collection.AddSingleton<IRankingOrigin>(sp => new OriginFaults.Origin((IRankingOrigin)configured.ImplementationFactory!(sp), Faults));
        });
    }
}
