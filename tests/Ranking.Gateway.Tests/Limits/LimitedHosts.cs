using System.Globalization;
using Microsoft.Extensions.Time.Testing;
using Ranking.Gateway.Tests.Infrastructure;

namespace Ranking.Gateway.Tests.Limits;

/// <summary>Gateway hosts whose requests come from the address a test names (<see cref="TestClientAddress"/>).</summary>
internal static class LimitedHosts
{
    /// <summary>
    /// Rate limits on, the ranking policy's budget <paramref name="ranking"/> requests per client. Buckets refill once
    /// an hour, so nothing is refilled while a test runs.
    /// </summary>
    public static Dictionary<string, string?> Limits(int ranking, IDictionary<string, string?>? extra = null)
    {
        var settings = new Dictionary<string, string?>(GatewayHost.Policy())
        {
            ["RateLimits:Enabled"] = "true",
            ["RateLimits:Policies:ranking:TokenLimit"] = ranking.ToString(CultureInfo.InvariantCulture),
            ["RateLimits:Policies:ranking:TokensPerPeriod"] = "1",
            ["RateLimits:Policies:ranking:ReplenishmentPeriod"] = "01:00:00",
        };
        foreach (var (key, value) in extra ?? new Dictionary<string, string?>())
        {
            settings[key] = value;
        }

        return settings;
    }

    public static GatewayHost Create(TestDatabase database, IDictionary<string, string?> settings) =>
        new(database, RealServices.NewKeyPrefix(), new FakeTimeProvider(DateTimeOffset.UtcNow), settings, services: TestClientAddress.Register);

    public static Task<Answer> GetAsync(this HttpClient client, string path, string from, string? forwardedFor = null) =>
        client.SendAnswerAsync(TestClientAddress.Get(path, from, forwardedFor));
}
