using System.Diagnostics;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Ranking.Gateway.Caching;
using Ranking.Gateway.Caching.Redis;
using Ranking.Gateway.Tests.Infrastructure;
using StackExchange.Redis;
using Xunit.Abstractions;

namespace Ranking.Gateway.Tests.Caching;

/// <summary>
/// A Redis Cluster master dies under reads (a cluster of the test's own, so the shared one is left alone). Cold groups are
/// read one after another by two instances, so every read goes to Redis (none is answered from L1).
/// </summary>
[Trait("Category", "Cluster")]
public sealed class ClusterFailoverTests(TestDatabase database, ITestOutputHelper output) : IClassFixture<TestDatabase>
{
    // Short, so a test waits seconds for the cluster to notice a dead master (the scripts' cluster uses 3 s).
    private static readonly TimeSpan NodeTimeout = TimeSpan.FromSeconds(1);

    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private readonly string _prefix = RealServices.NewKeyPrefix();

    // A command in flight to the master when it dies fails after RedisTimeout: the production default (0.5 s) rather
    // than the test hosts' generous 5 s, so the window below is the one a fleet would see.
    private static Dictionary<string, string?> Settings()
    {
        var settings = GatewayHost.Policy();
        settings["Gateway:RedisTimeout"] = "00:00:00.500";
        return settings;
    }

    [Fact]
    public async Task Losing_a_master_without_a_replica_answers_bypass_without_5xx_and_caching_resumes_when_it_returns()
    {
        await using var cluster = new RedisClusterServer(3, replicas: false, NodeTimeout);
        await cluster.StartAsync();
        await SeedAsync("n", 1000);
        await using var a = new GatewayHost(database, _prefix, _time, Settings(), cluster.ConnectionString);
        await using var b = new GatewayHost(database, _prefix, _time, Settings(), cluster.ConnectionString);
        var reads = new ColdReads("n", a.CreateClient(), b.CreateClient());
        Assert.Equal("MISS", (await reads.NextAsync()).CacheStatus);

        // A group whose entry lives on another master than the one about to die.
        var lost = await cluster.MasterOfAsync(EntryKey("n0"));
        var elsewhere = await FirstGroupAsync(cluster, "n", port => port != lost);
        var port = await cluster.KillMasterOfAsync(EntryKey("n0"));

        // cluster-require-full-coverage yes: once the others call the master failed, the whole cluster refuses commands,
        // so even keys on the live masters bypass. Every answer is still a 200 from the origin.
        await Eventually.Until(cluster.IsOkAsync, ok => !ok, "the cluster to call itself down");
        await Eventually.Until(() => reads.Client.GetAnswerAsync($"/ranking/{elsewhere}"), a => a.CacheStatus == "BYPASS", "a key on a live master bypassing");
        for (var i = 0; i < 50; i++)
        {
            await reads.NextAsync();
        }

        Assert.All(reads.Answers.Skip(1), a => Assert.Equal((HttpStatusCode.OK, "BYPASS"), (a.Status, a.CacheStatus)));

        await cluster.RestartAsync(port);
        await Eventually.Until(reads.NextAsync, a => a.CacheStatus == "MISS", "caching through the cluster again", TimeSpan.FromSeconds(30));
        Assert.All(reads.Answers, a => Assert.Equal(HttpStatusCode.OK, a.Status));
        Assert.Equal("FRESH", (await reads.Client.GetAnswerAsync($"/ranking/{reads.Answers[^1].Json.GetProperty("group").GetString()}")).CacheStatus);
    }

    [Fact]
    public async Task With_a_replica_per_master_a_failover_costs_only_a_window_of_bypass_answers_and_keeps_the_entries()
    {
        await using var cluster = new RedisClusterServer(3, replicas: true, NodeTimeout);
        await cluster.StartAsync();
        await SeedAsync("r", 3000);
        await using var a = new GatewayHost(database, _prefix, _time, Settings(), cluster.ConnectionString);
        await using var b = new GatewayHost(database, _prefix, _time, Settings(), cluster.ConnectionString);
        var reads = new ColdReads("r", a.CreateClient(), b.CreateClient());
        Assert.Equal("MISS", (await reads.NextAsync()).CacheStatus);
        await using var redis = await ConnectionMultiplexer.ConnectAsync(cluster.ConnectionString);
        // Replication is asynchronous: the master is killed only once its replica holds the entry (a write the replica
        // had not received yet is lost in a failover, which is Redis's documented trade, not the gateway's).
        await Eventually.Until(() => redis.GetDatabase().KeyExistsAsync(EntryKey("r0"), CommandFlags.DemandReplica), stored => stored, "r0's entry on the replica");

        var killed = await cluster.KillMasterOfAsync(EntryKey("r0"));
        var clock = Stopwatch.StartNew();
        var timeline = new List<(TimeSpan At, Answer Answer)>();

        // Reads go on while the cluster notices the dead master and promotes its replica; the dead master stays dead.
        await Eventually.Until(
            async () =>
            {
                var answer = await reads.NextAsync();
                timeline.Add((clock.Elapsed, answer));
                return timeline.TakeLast(50).ToArray();
            },
            last => last.Length == 50 && last.All(t => t.Answer.CacheStatus == "MISS") && timeline.Any(t => t.Answer.CacheStatus == "BYPASS"),
            "the replica promoted and 50 cold reads in a row cached",
            TimeSpan.FromSeconds(60));

        Assert.All(timeline, t => Assert.Equal(HttpStatusCode.OK, t.Answer.Status));
        Assert.NotEqual(killed, await cluster.MasterOfAsync(EntryKey("r0")));

        // The entry written before the failover is still there: the replica had it.
        Assert.True(await redis.GetDatabase().KeyExistsAsync(EntryKey("r0")));
        var bypassed = timeline.Where(t => t.Answer.CacheStatus == "BYPASS").ToArray();
        output.WriteLine(
            $"failover with node timeout {NodeTimeout.TotalSeconds:0.0} s: {timeline.Count} reads, {bypassed.Length} BYPASS, " +
            $"first {bypassed[0].At.TotalSeconds:0.00} s and last {bypassed[^1].At.TotalSeconds:0.00} s after the kill, no non-2xx; " +
            $"answers by second: {string.Join(", ", timeline.GroupBy(t => (int)t.At.TotalSeconds).Select(g => $"{g.Key}s {string.Join('+', g.GroupBy(t => t.Answer.CacheStatus).Select(s => $"{s.Count()} {s.Key}"))}"))}");
    }

    [Fact]
    public async Task After_the_master_serving_the_change_channel_fails_over_instances_still_drop_rewritten_entries_from_L1()
    {
        await using var cluster = new RedisClusterServer(3, replicas: true, NodeTimeout);
        await cluster.StartAsync();
        await database.SeedAsync("shared", 2);
        var longL1 = Settings();
        longL1["Gateway:Policies:ranking:Fresh"] = "01:00:00";
        longL1["Gateway:Policies:ranking:L1"] = "00:30:00";
        await using var a = new GatewayHost(database, _prefix, _time, longL1, cluster.ConnectionString);
        await using var b = new GatewayHost(database, _prefix, _time, longL1, cluster.ConnectionString);
        var first = await a.CreateClient().GetAnswerAsync("/ranking/shared");
        var clientB = b.CreateClient();
        Assert.Equal(first.Body, (await clientB.GetAnswerAsync("/ranking/shared")).Body);

        // The channel has no hash tag: its name's slot picks the node an instance subscribes on. That master dies.
        var killed = await cluster.KillMasterOfAsync(_prefix + "changes");
        await Eventually.Until(() => cluster.MasterOfAsync(_prefix + "changes"), port => port is not null && port != killed, "the replica promoted", TimeSpan.FromSeconds(30));

        // A writes a newer entry once Redis takes writes again; B holds the old one in L1 for 30 minutes unless told.
        var store = a.Services.GetRequiredService<RedisEntryStore>();
        var newer = new CacheEntry(
            200, "application/json", "{\"group\":\"shared\",\"entries\":[]}"u8.ToArray(), "\"e\"", [], _time.GetUtcNow() + TimeSpan.FromMilliseconds(1),
            _time.GetUtcNow() + TimeSpan.FromMinutes(1), _time.GetUtcNow() + TimeSpan.FromMinutes(2), _time.GetUtcNow() + TimeSpan.FromMinutes(3));
        await Eventually.Until(() => store.SetAsync("ranking:shared", newer, TimeSpan.FromMinutes(5)), stored => stored == true, "A's write", TimeSpan.FromSeconds(30));

        var seen = await Eventually.Until(() => clientB.GetAnswerAsync("/ranking/shared"), x => x.Body != first.Body, "B to drop its L1 copy", TimeSpan.FromSeconds(30));
        Assert.Equal("{\"group\":\"shared\",\"entries\":[]}", seen.Body);
    }

    private string EntryKey(string group) => $"{_prefix}{{ranking:{group}}}:entry";

    private async Task<string> FirstGroupAsync(RedisClusterServer cluster, string stem, Func<int?, bool> master)
    {
        for (var i = 1; ; i++)
        {
            if (master(await cluster.MasterOfAsync(EntryKey($"{stem}{i}"))))
            {
                return $"{stem}{i}";
            }
        }
    }

    // Groups stem0 .. stem(count - 1), three users each, in one statement.
    private Task SeedAsync(string stem, int count) => database.ExecuteAsync(
        $"INSERT INTO ranking_scores (group_id, user_id, score) SELECT '{stem}' || g, 'u' || u, u FROM generate_series(0, {count - 1}) g, generate_series(1, 3) u");

    /// <summary>Each read a group not read before, by the two instances in turn.</summary>
    private sealed class ColdReads(string stem, params HttpClient[] clients)
    {
        private int _next;

        public List<Answer> Answers { get; } = [];

        public HttpClient Client => clients[0];

        public async Task<Answer> NextAsync()
        {
            var i = _next++;
            var answer = await clients[i % clients.Length].GetAnswerAsync($"/ranking/{stem}{i}");
            Answers.Add(answer);
            return answer;
        }
    }
}
