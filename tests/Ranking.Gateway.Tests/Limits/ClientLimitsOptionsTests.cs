using System.Net;
using Ranking.Gateway.Tests.Infrastructure;

namespace Ranking.Gateway.Tests.Limits;

public sealed class ClientLimitsOptionsTests(TestDatabase database) : IClassFixture<TestDatabase>
{
    private const string Ranking = "RateLimits:Policies:ranking";

    [Theory]
    [InlineData("RateLimits:Default:TokenLimit", "0", "RateLimits:Default:TokenLimit must be at least 1 (was 0)")]
    [InlineData("RateLimits:Default:TokensPerPeriod", "-5", "RateLimits:Default:TokensPerPeriod must be at least 1 (was -5)")]
    [InlineData("RateLimits:Default:ReplenishmentPeriod", "00:00:00", "RateLimits:Default:ReplenishmentPeriod must be positive")]
    [InlineData("RateLimits:Default:ReplenishmentPeriod", "-00:00:01", "RateLimits:Default:ReplenishmentPeriod must be positive")]
    [InlineData("RateLimits:Default:TokenLimit", "many", "RateLimits:Default:TokenLimit")]
    [InlineData("RateLimits:Enabled", "maybe", "RateLimits:Enabled")]
    [InlineData(Ranking + ":TokenLimit", "0", Ranking + ":TokenLimit must be at least 1 (was 0)")]
    [InlineData(Ranking + ":ReplenishmentPeriod", "00:00:00", Ranking + ":ReplenishmentPeriod must be positive")]
    [InlineData(Ranking + ":TokenLimit", "many", Ranking + ":TokenLimit")]
    [InlineData(Ranking + ":ReplenishmentPeriod", "soon", Ranking + ":ReplenishmentPeriod")]
    [InlineData("RateLimits:Policies:no-such-policy:TokenLimit", "5", "RateLimits:Policies:no-such-policy names a policy that is not defined under Gateway:Policies")]
    [InlineData("ForwardedHeaders:KnownProxies:0", "proxy.internal", "ForwardedHeaders:KnownProxies:0 ('proxy.internal') is not an IP address")]
    [InlineData("ForwardedHeaders:KnownProxies:0", "10.1", "ForwardedHeaders:KnownProxies:0 ('10.1') is not an IP address")]
    [InlineData("ForwardedHeaders:KnownProxies:0", "10.0.0.0/8", "ForwardedHeaders:KnownProxies:0 ('10.0.0.0/8') is not an IP address")]
    [InlineData("ForwardedHeaders:KnownNetworks:0", "10.0.0.0", "ForwardedHeaders:KnownNetworks:0 ('10.0.0.0') is not a network in CIDR notation")]
    [InlineData("ForwardedHeaders:KnownNetworks:0", "10.0.0.1/8", "ForwardedHeaders:KnownNetworks:0 ('10.0.0.1/8') is not a network in CIDR notation")]
    [InlineData("ForwardedHeaders:KnownNetworks:0", "10.0.0.0/33", "ForwardedHeaders:KnownNetworks:0 ('10.0.0.0/33') is not a network in CIDR notation")]
    [InlineData("ForwardedHeaders:KnownNetworks:0", "10/8", "ForwardedHeaders:KnownNetworks:0 ('10/8') is not a network in CIDR notation")]
    [InlineData("ForwardedHeaders:ForwardLimit", "0", "ForwardedHeaders:ForwardLimit must be at least 1 (was 0)")]
    [InlineData("FORWARDEDHEADERS_ENABLED", "true", "FORWARDEDHEADERS_ENABLED (ASPNETCORE_FORWARDEDHEADERS_ENABLED) makes ASP.NET Core take X-Forwarded-For from any address")]
    public async Task Bad_settings_stop_the_host_from_starting_with_a_message_naming_the_key(string key, string value, string expected)
    {
        // Rate limits stay off: a bad setting is refused before anyone turns them on.
        var settings = new Dictionary<string, string?>(GatewayHost.Policy()) { [key] = value };
        await using var host = LimitedHosts.Create(database, settings);

        var thrown = Record.Exception(() => host.CreateClient());

        Assert.NotNull(thrown);
        Assert.Contains(expected, Messages(thrown), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Good_settings_start()
    {
        var settings = new Dictionary<string, string?>(GatewayHost.Policy())
        {
            ["RateLimits:Enabled"] = "true",
            ["RateLimits:Default:TokenLimit"] = "1",
            ["RateLimits:Policies:RANKING:TokenLimit"] = "20",
            ["RateLimits:Policies:RANKING:TokensPerPeriod"] = "600",
            ["RateLimits:Policies:RANKING:ReplenishmentPeriod"] = "00:01:00",
            ["ForwardedHeaders:KnownProxies:0"] = "10.0.0.1",
            ["ForwardedHeaders:KnownProxies:1"] = "2001:db8::1",
            ["ForwardedHeaders:KnownNetworks:0"] = "192.168.0.0/16",
            ["ForwardedHeaders:KnownNetworks:1"] = "fd00::/8",
            ["ForwardedHeaders:ForwardLimit"] = "2",
        };
        await using var host = LimitedHosts.Create(database, settings);
        using var client = host.CreateClient();

        var live = await client.GetAnswerAsync("/health/live");

        Assert.Equal(HttpStatusCode.OK, live.Status);
    }

    /// <summary>Every message in the exception chain: start-up wraps the failure in different ways.</summary>
    private static string Messages(Exception thrown)
    {
        var messages = new List<string>();
        var pending = new Queue<Exception>([thrown]);
        while (pending.TryDequeue(out var ex))
        {
            messages.Add(ex.Message);
            foreach (var inner in ex is AggregateException aggregate ? aggregate.InnerExceptions : ex.InnerException is { } one ? [one] : [])
            {
                pending.Enqueue(inner);
            }
        }

        return string.Join("\n", messages);
    }
}
