using System.Net;
using System.Security.Cryptography;
using Microsoft.Extensions.Time.Testing;
using Ranking.Gateway.Tests.Infrastructure;
using StackExchange.Redis;

namespace Ranking.Gateway.Tests.Proxy;

/// <summary>
/// Answers the cache may not keep cost one upstream request per client request, credentials never leak into shared
/// answers, and an answer over the size limit streams through. Two gateway instances on one Redis.
/// </summary>
[Collection(AloneCollection.Name)]
public sealed class UnstorableAnswerTests(TestDatabase database) : IClassFixture<TestDatabase>, IAsyncLifetime
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private readonly UpstreamServer _upstream = new();
    private readonly string _prefix = RealServices.NewKeyPrefix();
    private readonly List<GatewayHost> _hosts = [];

    public Task InitializeAsync() => _upstream.StartAsync();

    public async Task DisposeAsync()
    {
        foreach (var host in _hosts)
        {
            await host.DisposeAsync();
        }

        await _upstream.DisposeAsync();
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public async Task An_answer_with_set_cookie_costs_one_upstream_request_per_client_request(int instances)
    {
        var clients = Start(instances);
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var reads = Enumerable.Range(0, 40).Select(async i =>
        {
            await start.Task;
            return await clients[i % instances].GetAnswerAsync("/cached/api/cookie");
        }).ToArray();
        start.SetResult();
        var answers = await Task.WhenAll(reads);

        Assert.All(answers, a => Assert.Equal(HttpStatusCode.OK, a.Status));
        Assert.Equal(40, _upstream.Requests("cookie"));
        Assert.Equal(40, answers.Select(a => a.Header("Set-Cookie")).Distinct().Count());
        Assert.Equal(0, await EntryKeysAsync("proxy:cached:http://localhost/cached/api/cookie"));
    }

    [Fact]
    public async Task Instances_waiting_on_a_miss_whose_answer_cannot_be_kept_do_not_wait_out_miss_wait()
    {
        // A miss wait far longer than the test's patience: a waiter that sat it out would time the test out.
        var clients = Start(2, ("MissWait", "00:05:00"));
        _upstream.Close();
        var first = clients[0].GetAnswerAsync("/cached/api/cookie");
        await Eventually.Until(() => _upstream.Waiting == 1, "the first fill at the upstream");
        var waiting = Enumerable.Range(0, 10).Select(_ => clients[1].GetAnswerAsync("/cached/api/cookie")).ToArray();
        _upstream.Open();

        var answers = await Task.WhenAll([first, .. waiting]).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.All(answers, a => Assert.Equal(HttpStatusCode.OK, a.Status));
        Assert.Equal(11, _upstream.Requests("cookie"));
    }

    [Fact]
    public async Task With_cache_authorized_a_fill_never_carries_the_clients_credentials()
    {
        var clients = Start(1, ("CacheAuthorized", "true"));

        var authorized = await Send(clients[0], "/cached/whoami", "Bearer alice");
        var anonymous = await Send(clients[0], "/cached/whoami", authorization: null);

        Assert.Equal(("MISS", "anonymous #1"), (authorized.CacheStatus, authorized.Body));
        Assert.Equal(("FRESH", "anonymous #1"), (anonymous.CacheStatus, anonymous.Body));
    }

    [Fact]
    public async Task Keyed_on_authorization_each_credential_has_its_own_entry_shared_only_when_the_answer_allows()
    {
        var clients = Start(1, ("CacheAuthorized", "true"), ("VaryByHeaders:1", "Authorization"), ("QueryKeys:1", "public"));

        // The upstream marks these answers public: each credential's answer is kept, for that credential only.
        var alice = await Send(clients[0], "/cached/whoami?public=1", "Bearer alice");
        var aliceAgain = await Send(clients[0], "/cached/whoami?public=1", "Bearer alice");
        var bob = await Send(clients[0], "/cached/whoami?public=1", "Bearer bob");
        var nobody = await Send(clients[0], "/cached/whoami?public=1", authorization: null);
        Assert.Equal(("MISS", "Bearer alice #1"), (alice.CacheStatus, alice.Body));
        Assert.Equal(("FRESH", alice.Body), (aliceAgain.CacheStatus, aliceAgain.Body));
        Assert.Equal(("MISS", "Bearer bob #2"), (bob.CacheStatus, bob.Body));
        Assert.Equal(("MISS", "anonymous #3"), (nobody.CacheStatus, nobody.Body));

        // Without public, s-maxage or must-revalidate an answer to a request with credentials is never kept (RFC 9111
        // §3.5), and each request still costs one upstream request.
        var first = await Send(clients[0], "/cached/whoami", "Bearer alice");
        var second = await Send(clients[0], "/cached/whoami", "Bearer alice");
        Assert.Equal(("Bearer alice #4", "Bearer alice #5"), (first.Body, second.Body));
        Assert.Equal(5, _upstream.Requests("whoami"));
    }

    [Fact]
    public async Task An_answer_over_the_size_limit_streams_to_its_client_and_is_neither_kept_nor_held_in_memory()
    {
        var clients = Start(1, ("MaxBodyBytes", (1024 * 1024).ToString(System.Globalization.CultureInfo.InvariantCulture)));

        // The same 10 MiB through the same route without a policy: what plain YARP streaming allocates.
        var (plainHash, plain) = await StreamAsync(clients[0], "/plain/big");
        var (cachedHash, cached) = await StreamAsync(clients[0], "/cached/big");

        Assert.Equal(ExpectedBigHash(), plainHash);
        Assert.Equal(ExpectedBigHash(), cachedHash);

        // Holding the 10 MiB answer in a growing buffer would allocate 16 MiB or more beyond plain streaming; keeping up
        // to the 1 MiB limit before handing it over, and the hand-over pipe's segments, cost a few MiB.
        Assert.True(cached - plain < 8 * 1024 * 1024, $"{cached:N0} bytes allocated streaming through the cache, {plain:N0} without it");
        Assert.Equal(0, await EntryKeysAsync("proxy:cached:http://localhost/cached/big"));
        var (_, _) = await StreamAsync(clients[0], "/cached/big");
        Assert.Equal(3, _upstream.Requests("big"));
    }

    private static async Task<(byte[] Hash, long Allocated)> StreamAsync(HttpClient client, string path)
    {
        var before = GC.GetTotalAllocatedBytes(precise: true);
        using var response = await client.GetAsync(path, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await using var body = await response.Content.ReadAsStreamAsync();
        var hash = await SHA256.HashDataAsync(body);
        return (hash, GC.GetTotalAllocatedBytes(precise: true) - before);
    }

    private HttpClient[] Start(int instances, params (string Key, string Value)[] policy)
    {
        var settings = ProxyHosts.Routes(["PathRemovePrefix=/{route}"], [("Destinations:d1:Address", _upstream.Address)], policy);
        return Enumerable.Range(0, instances).Select(_ =>
        {
            var host = new GatewayHost(database, _prefix, _time, settings);
            _hosts.Add(host);
            return host.CreateClient();
        }).ToArray();
    }

    private static async Task<Answer> Send(HttpClient client, string path, string? authorization)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (authorization is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", authorization);
        }

        return await client.SendAnswerAsync(request);
    }

    private static byte[] ExpectedBigHash()
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var chunk = new byte[64 * 1024];
        for (var i = 0; i < UpstreamServer.BigBytes / chunk.Length; i++)
        {
            chunk.AsSpan().Fill((byte)i);
            hash.AppendData(chunk);
        }

        return hash.GetHashAndReset();
    }

    private async Task<int> EntryKeysAsync(string keyStart)
    {
        await using var redis = await ConnectionMultiplexer.ConnectAsync(RealServices.Redis);
        return (await RedisProbe.ScanAsync(redis, $"{_prefix}{{{keyStart}*:entry")).Length;
    }
}
