using System.Net;
using Microsoft.Extensions.Time.Testing;
using Ranking.Gateway.Tests.Infrastructure;

namespace Ranking.Gateway.Tests.Hosting;

public sealed class OriginDownTests(TestDatabase database) : IClassFixture<TestDatabase>, IAsyncLifetime
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private readonly string _prefix = RealServices.NewKeyPrefix();
    private RedisProbe _redis = null!;

    public async Task InitializeAsync() => _redis = await RedisProbe.ConnectAsync();

    public async Task DisposeAsync() => await _redis.DisposeAsync();

    [Fact]
    public async Task Unreachable_postgres_answers_503_with_retry_after_and_the_process_keeps_answering()
    {
        await using var host = new GatewayHost(database, _prefix, _time, Unreachable());
        using var client = host.CreateClient();

        var first = await client.GetAnswerAsync("/ranking/g1");
        var second = await client.GetAnswerAsync("/ranking/g1?limit=3");
        var live = await client.GetAnswerAsync("/health/live");

        ProblemAssert.IsProblem(first, HttpStatusCode.ServiceUnavailable, "Ranking unavailable");
        Assert.Equal("5", first.Header("Retry-After"));
        ProblemAssert.IsProblem(second, HttpStatusCode.ServiceUnavailable, "Ranking unavailable");
        Assert.Equal("5", second.Header("Retry-After"));
        Assert.Equal((HttpStatusCode.OK, "Healthy"), (live.Status, live.Body));
        Assert.Equal(2, host.Faults.Calls);
    }

    [Fact]
    public async Task A_failed_fetch_leaves_no_entry_in_redis_only_word_to_its_waiters_that_expires()
    {
        await using var host = new GatewayHost(database, _prefix, _time, Unreachable());
        using var client = host.CreateClient();

        var answer = await client.GetAnswerAsync("/ranking/g2");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, answer.Status);
        var key = Assert.Single(await _redis.KeysAsync(_prefix));
        Assert.EndsWith("{ranking:g2}:unstorable", key, StringComparison.Ordinal);
        Assert.InRange((await _redis.TimeToLiveAsync(key)).GetValueOrDefault(), TimeSpan.FromMilliseconds(1), TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task Retry_after_follows_the_policy_rounded_up_to_whole_seconds()
    {
        var settings = Unreachable();
        settings["Gateway:Policies:ranking:RetryAfter"] = "00:00:07.200";
        await using var host = new GatewayHost(database, _prefix, _time, settings);
        using var client = host.CreateClient();

        var answer = await client.GetAnswerAsync("/ranking/g3");

        ProblemAssert.IsProblem(answer, HttpStatusCode.ServiceUnavailable, "Ranking unavailable");
        Assert.Equal("8", answer.Header("Retry-After"));
    }

    [Fact]
    public async Task A_head_request_to_an_unreachable_origin_answers_503_with_retry_after()
    {
        await using var host = new GatewayHost(database, _prefix, _time, Unreachable());
        using var client = host.CreateClient();

        using var request = new HttpRequestMessage(HttpMethod.Head, "/ranking/g4");
        var answer = await client.SendAnswerAsync(request);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, answer.Status);
        Assert.Equal("5", answer.Header("Retry-After"));
        // No body assertion: TestServer passes a HEAD response's body through, where Kestrel drops it.
    }

    private static Dictionary<string, string?> Unreachable() => new()
    {
        ["ConnectionStrings:Postgres"] = HealthEndpointTests.UnreachablePostgres,
        ["Gateway:Policies:ranking:OriginTimeout"] = "00:00:02",
        ["Gateway:Policies:ranking:LockExpiry"] = "00:00:10",
    };
}
