using System.Net;
using Npgsql;
using Ranking.Gateway.Caching;
using Ranking.Gateway.LoadTests.Hosting;
using Ranking.Gateway.Refresh.CompetingLocks;
using Ranking.Gateway.Refresh.Queue;
using Ranking.Gateway.Tests.Infrastructure;

namespace Ranking.Gateway.Tests.Refresh;

/// <summary>
/// Never worse than no cache: in every refresh mode, a group cached before PostgreSQL went away keeps answering 200
/// through the outage, for its stale-if-error window counted from when it was last known good. PostgreSQL is cut for
/// real (a TCP relay in front of it drops every connection); the clock is the test's.
/// </summary>
public sealed class DatabaseOutageTests : IAsyncLifetime
{
    private static readonly TimeSpan Period = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan Second = TimeSpan.FromSeconds(1);
    private const int Groups = 5;

    private RefreshFleet _fleet = null!;
    private TcpRelay _relay = null!;

    public async Task InitializeAsync()
    {
        _fleet = await RefreshFleet.CreateAsync(Period);
        var postgres = new NpgsqlConnectionStringBuilder(RealServices.Postgres);
        _relay = new TcpRelay(postgres.Host!, postgres.Port);
        for (var i = 1; i <= Groups; i++)
        {
            await _fleet.Database.SeedAsync($"o{i}", 5);
        }
    }

    public async Task DisposeAsync()
    {
        await _fleet.DisposeAsync();
        await _relay.DisposeAsync();
    }

    [Theory]
    [InlineData("Lazy")]
    [InlineData("Early")]
    [InlineData("CompetingLocks")]
    [InlineData("Queue")]
    public async Task Groups_cached_before_the_database_went_away_answer_200_through_a_60_second_outage(string mode)
    {
        // The defaults scaled down: fresh 3 s (not 60), stale 4 s, stale-if-error 70 s (not an hour): past the outage
        // counted from when the database went away, short of it counted from when an unchanged group was computed.
        var (host, client) = _fleet.Start(_fleet.Settings(mode, new Dictionary<string, string?>
        {
            ["ConnectionStrings:Postgres"] = new NpgsqlConnectionStringBuilder(_fleet.Database.ConnectionString) { Port = _relay.Port }.ConnectionString,
            ["Gateway:Policies:ranking:Fresh"] = "00:00:03",
            ["Gateway:Policies:ranking:Stale"] = "00:00:04",
            ["Gateway:Policies:ranking:StaleIfError"] = "00:01:10",
            ["Gateway:Policies:ranking:L1"] = "00:00:01",
        }));
        await Eventually.Until(() => ReadAllAsync(client), answers => answers.All(a => a.Status == HttpStatusCode.OK), "every group cached");

        // 30 s of ordinary life: nothing changes, the mode does its work.
        for (var i = 0; i < 30; i++)
        {
            await TickAsync(host, mode);
            Assert.All(await ReadAllAsync(client), a => Assert.Equal(HttpStatusCode.OK, a.Status));
        }

        _relay.Cut();
        var work = BackgroundWork(host, mode);
        var during = new List<Answer>();
        for (var i = 0; i < 60; i++)
        {
            await TickAsync(host, mode);
            during.AddRange(await ReadAllAsync(client));
        }

        Assert.All(during, a => Assert.True(a.Status == HttpStatusCode.OK, $"{mode}: {a} during the outage"));
        Assert.Contains(during, a => a.CacheStatus == "STALE");
        Assert.True(mode is "Lazy" or "Early" || BackgroundWork(host, mode) > work, $"{mode}: its background work ran on through the outage");

        _relay.Restore();
        await Eventually.Until(
            async () =>
            {
                await TickAsync(host, mode);
                return await ReadAllAsync(client);
            },
            answers => answers.All(a => a.CacheStatus == "FRESH"),
            "every group fresh again");
    }

    [Fact]
    public async Task An_outage_dead_letters_nothing_and_the_changes_queued_during_it_land_when_the_database_is_back()
    {
        var (host, client) = _fleet.Start(_fleet.Settings("Queue", new Dictionary<string, string?>
        {
            ["ConnectionStrings:Postgres"] = new NpgsqlConnectionStringBuilder(_fleet.Database.ConnectionString) { Port = _relay.Port }.ConnectionString,
            ["Ranking:Refresh:MaxDeliveries"] = "2",
            ["Ranking:Refresh:RetryBackoff"] = "00:00:00.100",
        }));
        await Eventually.Until(() => ReadAllAsync(client), answers => answers.All(a => a.CacheStatus == "FRESH"), "every group cached");
        await using var redis = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(RealServices.Redis);
        var dead = $"{_fleet.Prefix}{{refresh:0}}:dead";

        _relay.Cut();
        // Writers mark changed groups in the dirty set, which the producer queues without PostgreSQL.
        await redis.GetDatabase().SetAddAsync($"{_fleet.Prefix}{{refresh}}:dirty", ["o1", "o2"]);
        await TickAsync(host, "Queue");
        var batches = host.Faults.Batches;
        await Eventually.Until(() => host.Faults.Batches >= batches + 8, "the consumers retrying through the outage");

        Assert.Equal(0, await redis.GetDatabase().StreamLengthAsync(dead));
        Assert.All(await ReadAllAsync(client), a => Assert.Equal(HttpStatusCode.OK, a.Status));

        _relay.Restore();
        await Eventually.Until(() => redis.GetDatabase().StreamLengthAsync($"{_fleet.Prefix}{{refresh:0}}:queue"), n => n == 0, "the queue drained");
        // Nor after it: the first queries on connections the outage broke fail too, and are the origin's fault as well.
        Assert.Equal(0, await redis.GetDatabase().StreamLengthAsync(dead));
    }

    private static Task<Answer[]> ReadAllAsync(HttpClient client) =>
        Task.WhenAll(Enumerable.Range(1, Groups).Select(i => client.GetAnswerAsync($"/ranking/o{i}")));

    // A second of the gateway's clock, once the background refreshes the last reads started are done. The second passes
    // in tenths, so the mode's own loop sees its time come as it would. In Queue mode the producer's pass of the second
    // is waited for, so its word (two periods long) is renewed as it would be at the pace of a real clock; a walk of
    // CompetingLocks still busy when its time came runs late, as on a slow machine.
    private async Task TickAsync(GatewayHost host, string mode)
    {
        var cache = _fleet.Service<SwrCache>(host);
        await Eventually.Until(() => cache.ActiveRevalidations == 0, "the background refreshes");
        var passes = mode == "Queue" ? await LeadingPassesAsync(host) : 0;
        for (var i = 0; i < 10; i++)
        {
            _fleet.Time.Advance(Second / 10);
            await Task.Yield();
        }

        if (mode == "Queue")
        {
            await Eventually.Until(() => _fleet.Service<QueueProducer>(host).Passes > passes, "the producer's pass of the second");
        }
    }

    private async Task<long> LeadingPassesAsync(GatewayHost host)
    {
        var producer = _fleet.Service<QueueProducer>(host);
        await Eventually.Until(() => producer.IsLeader, "the producer's lease");
        return producer.Passes;
    }

    // The mode's background work: the producer's passes (Queue), the walks (CompetingLocks), none (Lazy, Early).
    private long BackgroundWork(GatewayHost host, string mode) => mode switch
    {
        "Queue" => _fleet.Service<QueueProducer>(host).Passes,
        "CompetingLocks" => _fleet.Service<GroupWalker>(host).Walks,
        _ => 0,
    };
}
