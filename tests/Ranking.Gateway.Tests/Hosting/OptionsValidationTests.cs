using System.Net;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Ranking.Gateway.Tests.Infrastructure;

namespace Ranking.Gateway.Tests.Hosting;

public sealed class OptionsValidationTests(TestDatabase database) : IClassFixture<TestDatabase>
{
    private const string Policy = "Gateway:Policies:ranking";

    private readonly string _prefix = RealServices.NewKeyPrefix();

    [Theory]
    [InlineData(Policy + ":LockExpiry", "00:00:05", Policy + ":LockExpiry (00:00:05) must be longer than " + Policy + ":OriginTimeout")]
    [InlineData(Policy + ":LockExpiry", "00:00:10", Policy + ":LockExpiry (00:00:10) must be longer than " + Policy + ":OriginTimeout")]
    [InlineData(Policy + ":OriginTimeout", "00:00:00", Policy + ":OriginTimeout must be positive")]
    [InlineData(Policy + ":Fresh", "00:00:00", Policy + ":Fresh must be positive")]
    [InlineData(Policy + ":StaleIfError", "00:05:00", Policy + ":StaleIfError (00:05:00) must be at least " + Policy + ":Stale")]
    [InlineData(Policy + ":L1", "00:01:00", Policy + ":L1 (00:01:00) must be shorter than " + Policy + ":Fresh")]
    [InlineData(Policy + ":Stale", "-00:00:01", Policy + ":Stale must not be negative")]
    [InlineData(Policy + ":RetryAfter", "00:00:00", Policy + ":RetryAfter must be positive")]
    [InlineData(Policy + ":CacheableStatuses:0", "503", Policy + ":CacheableStatuses")]
    [InlineData(Policy + ":NegativeStatuses:0", "503", Policy + ":NegativeStatuses")]
    [InlineData(Policy + ":NegativeStatuses:0", "99", Policy + ":NegativeStatuses")]
    [InlineData(Policy + ":MaxBodyBytes", "-1", Policy + ":MaxBodyBytes must be positive")]
    [InlineData(Policy + ":MaxConcurrentFetches", "0", Policy + ":MaxConcurrentFetches must be at least 1")]
    [InlineData(Policy + ":MaxQueuedFetches", "-1", Policy + ":MaxQueuedFetches must not be negative")]
    [InlineData(Policy + ":ForwardRequestHeaders:0", "Authorization", Policy + ":ForwardRequestHeaders may not name Authorization")]
    [InlineData(Policy + ":ForwardRequestHeaders:0", "cookie", Policy + ":ForwardRequestHeaders may not name cookie")]
    [InlineData(Policy + ":ForwardRequestHeaders:0", "If-None-Match", Policy + ":ForwardRequestHeaders may not name If-None-Match")]
    [InlineData(Policy + ":MinUses", "0", Policy + ":MinUses must be at least 1")]
    [InlineData("Gateway:KeyPrefix", "", "Gateway:KeyPrefix must not be empty")]
    [InlineData("Gateway:KeyPrefix", "   ", "Gateway:KeyPrefix must not be empty")]
    [InlineData("Gateway:RedisTimeout", "00:00:00", "Gateway:RedisTimeout must be positive")]
    [InlineData("Ranking:TopNSql", "SELECT user_id, score FROM ranking_scores WHERE group_id = @group ORDER BY score DESC, user_id", "Ranking:TopNSql must use the parameter @limit")]
    [InlineData("Ranking:TopNSql", "SELECT user_id, score FROM ranking_scores ORDER BY score DESC, user_id LIMIT @limit", "Ranking:TopNSql must use the parameter @group")]
    [InlineData("Ranking:Policy", "no-such-policy", "Ranking:Policy names 'no-such-policy', which is not defined under Gateway:Policies")]
    [InlineData("Ranking:TagsSql", "SELECT tag FROM ranking_group_tags WHERE group_id = @group", "Ranking:TagsSql and Ranking:BatchTagsSql are set together")]
    [InlineData("Gateway:Policies:ranking:DownstreamCacheControl", "Cache-Control", "Gateway:Policies:ranking:DownstreamCacheControl is empty, CDN-Cache-Control or Surrogate-Control")]
    [InlineData("Gateway:Policies:ranking:TagHeader", "Surrogate Key", "Gateway:Policies:ranking:TagHeader must be a header name")]
    [InlineData("Gateway:PurgeRefreshRate", "0", "Gateway:PurgeRefreshRate must be at least 1")]
    [InlineData("Ranking:Refresh:Mode", "7", "Ranking:Refresh:Mode must be one of Lazy, CompetingLocks, Queue, Early")]
    [InlineData("Ranking:Refresh:Period", "00:00:00", "Ranking:Refresh:Period must be at least 00:00:00.100")]
    [InlineData("Ranking:Refresh:BatchSize", "0", "Ranking:Refresh:BatchSize must be from 1 to 1000")]
    [InlineData("Ranking:Refresh:PageSize", "0", "Ranking:Refresh:PageSize must be from 1 to 100000")]
    [InlineData("Ranking:Refresh:MaxDeliveries", "0", "Ranking:Refresh:MaxDeliveries must be from 1 to 100")]
    [InlineData("Ranking:Refresh:Consumers", "-1", "Ranking:Refresh:Consumers must be from 0 to 16")]
    [InlineData("Ranking:Refresh:LeaseDuration", "00:00:00.500", "Ranking:Refresh:LeaseDuration must be at least 00:00:01")]
    [InlineData("Ranking:Refresh:Beta", "0", "Ranking:Refresh:Beta must be a positive number")]
    [InlineData("Ranking:Refresh:Changes", "5", "Ranking:Refresh:Changes must be one of Poll, Replication")]
    [InlineData("Ranking:Refresh:ReplicationSlot", "Ranking-Slot", "Ranking:Refresh:ReplicationSlot must be 1 to 63 lower-case letters")]
    [InlineData("Ranking:Refresh:ReplicationTable", "scores; DROP TABLE x", "Ranking:Refresh:ReplicationTable must be a table name")]
    [InlineData("Ranking:Refresh:ReplicationRetry", "00:00:00", "Ranking:Refresh:ReplicationRetry must be at least 00:00:00.100")]
    [InlineData("Ranking:Refresh:VisibilityTimeout", "00:00:05", "Ranking:Refresh:VisibilityTimeout (00:00:05) must be longer than Gateway:Policies:ranking:OriginTimeout")]
    [InlineData("Ranking:GroupsSql", "SELECT DISTINCT group_id FROM ranking_scores", "Ranking:GroupsSql must use the parameter @after")]
    [InlineData("Ranking:ChangedGroupsSql", "SELECT group_id, max(updated_at) FROM ranking_scores GROUP BY group_id", "Ranking:ChangedGroupsSql must use the parameter @since")]
    [InlineData("Ranking:BatchTopNSql", "SELECT 1 LIMIT @limit", "Ranking:BatchTopNSql must use the parameter @groups")]
    public async Task Bad_settings_stop_the_host_from_starting_with_a_message_naming_the_key(string key, string value, string expected)
    {
        await using var host = new GatewayHost(database, _prefix, new FakeTimeProvider(), new Dictionary<string, string?> { [key] = value });

        var thrown = Record.Exception(() => host.CreateClient());

        var failure = OptionsFailure(thrown);
        Assert.Contains(expected, failure.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(Policy + ":Fresh", "abc")]
    [InlineData(Policy + ":MaxBodyBytes", "abc")]
    [InlineData(Policy + ":CacheAuthorized", "maybe")]
    [InlineData(Policy + ":Freshness", "Sometimes")]
    [InlineData(Policy + ":Heuristic", "Guess")]
    public async Task A_policy_value_that_does_not_convert_stops_start_up_naming_its_key(string key, string value)
    {
        await using var host = new GatewayHost(database, _prefix, new FakeTimeProvider(), new Dictionary<string, string?> { [key] = value });

        var thrown = Record.Exception(() => host.CreateClient());

        Assert.NotNull(thrown);
        Assert.Contains($"'{key}'", thrown.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("must define at least one policy", thrown.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Every_query_parameter_and_a_list_of_them_cannot_be_asked_for_together()
    {
        var settings = new Dictionary<string, string?> { [Policy + ":QueryKeys:0"] = "page", [Policy + ":QueryKeys:1"] = "*" };
        await using var host = new GatewayHost(database, _prefix, new FakeTimeProvider(), settings);

        var failure = OptionsFailure(Record.Exception(() => host.CreateClient()));

        Assert.Contains(Policy + ":QueryKeys is either \"*\" (every parameter) or a list of names, not both (was page, *)", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_lock_expiry_just_longer_than_the_origin_timeout_starts()
    {
        var settings = new Dictionary<string, string?>
        {
            [Policy + ":OriginTimeout"] = "00:00:10",
            [Policy + ":LockExpiry"] = "00:00:10.001",
            [Policy + ":L1"] = "00:00:59",
        };
        await using var host = new GatewayHost(database, _prefix, new FakeTimeProvider(), settings);
        using var client = host.CreateClient();

        var live = await client.GetAnswerAsync("/health/live");

        Assert.Equal(HttpStatusCode.OK, live.Status);
    }

    [Fact]
    public async Task A_background_mode_that_needs_postgres_is_refused_with_an_upstream_origin()
    {
        var settings = new Dictionary<string, string?>
        {
            ["Ranking:Refresh:Mode"] = "Queue",
            ["Ranking:Origin"] = "Upstream",
            ["Ranking:UpstreamCluster"] = "rankings",
            ["ReverseProxy:Clusters:rankings:Destinations:a:Address"] = "http://127.0.0.1:1/",
        };
        await using var host = new GatewayHost(database, _prefix, new FakeTimeProvider(), settings);

        var failure = OptionsFailure(Record.Exception(() => host.CreateClient()));

        Assert.Contains("Ranking:Refresh:Mode Queue needs Ranking:Origin Postgres", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_mode_name_that_does_not_exist_stops_start_up_naming_the_key()
    {
        await using var host = new GatewayHost(database, _prefix, new FakeTimeProvider(), new Dictionary<string, string?> { ["Ranking:Refresh:Mode"] = "Sometimes" });

        var thrown = Record.Exception(() => host.CreateClient());

        Assert.NotNull(thrown);
        Assert.Contains("Ranking:Refresh:Mode", thrown.ToString(), StringComparison.Ordinal);
    }

    /// <summary>Finds the OptionsValidationException, however the host start-up wrapped it.</summary>
    private static OptionsValidationException OptionsFailure(Exception? thrown)
    {
        Assert.NotNull(thrown);
        var pending = new Queue<Exception>([thrown]);
        while (pending.TryDequeue(out var ex))
        {
            if (ex is OptionsValidationException options)
            {
                return options;
            }

            if (ex is AggregateException aggregate)
            {
                foreach (var inner in aggregate.InnerExceptions)
                {
                    pending.Enqueue(inner);
                }
            }
            else if (ex.InnerException is { } inner)
            {
                pending.Enqueue(inner);
            }
        }

        throw new Xunit.Sdk.XunitException($"Expected an OptionsValidationException, got: {thrown}");
    }
}
