using System.Net;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Npgsql;
using Ranking.Gateway.Refresh.Queue;
using Ranking.Gateway.Tests.Admin;
using Ranking.Gateway.Tests.Infrastructure;
using StackExchange.Redis;

namespace Ranking.Gateway.Tests.Refresh;

/// <summary>
/// Queue mode fed by PostgreSQL's change stream (<c>Ranking:Refresh:Changes = Replication</c>), on the real server's
/// logical replication. The writes here leave <c>updated_at</c> alone unless a test says otherwise, so the polling scan
/// cannot see them: whatever brings them to the cache is the stream.
/// </summary>
[Trait("Category", "Cluster")]
[Collection(AloneCollection.Name)] // reads the replication gauges from /metrics (see AloneCollection)
public sealed class ChangeStreamTests : IAsyncLifetime
{
    private static readonly TimeSpan Period = TimeSpan.FromSeconds(10);

    private RefreshFleet _fleet = null!;
    private ConnectionMultiplexer _redis = null!;

    public async Task InitializeAsync()
    {
        _fleet = await RefreshFleet.CreateAsync(Period);
        _redis = await ConnectionMultiplexer.ConnectAsync(RealServices.Redis);
    }

    public async Task DisposeAsync()
    {
        await _fleet.DisposeAsync();
        await _redis.DisposeAsync();
    }

    // A slot of this test's own (slot names are per server, not per database); TestDatabase drops it.
    private string Slot => "rg_" + _fleet.Database.Name;

    private string QueueKey => $"{_fleet.Prefix}{{refresh:0}}:queue";

    [Fact]
    public async Task A_committed_change_is_served_fresh_by_every_instance_without_waiting_for_a_pass_and_passes_stop_scanning()
    {
        await SeedAsync("c", 3);
        var hosts = new[] { Start(), Start() };
        await HandledAsync(hosts, 3);
        var leader = await LeaderAsync(hosts);
        await Eventually.Until(() => Stream(leader).Epoch != 0, "the stream running");

        // The pass made when the stream began scanned once more; from now on passes do not scan.
        var passes = Producer(leader).Passes;
        _fleet.Time.Advance(Period);
        await Eventually.Until(() => Producer(leader).Passes > passes, "a pass");
        var scans = await _fleet.Database.ChangeScansAsync();

        await WriteAsync("UPDATE ranking_scores SET score = 1000000 WHERE group_id = 'c2' AND user_id = 'u5'");

        // No pass is due: the stream alone brings the change to both instances.
        var seen = new List<Answer>();
        foreach (var (_, client) in hosts)
        {
            seen.Add(await Eventually.Until(() => client.GetAnswerAsync("/ranking/c2"), a => a.UserIds[0] == "u5", "the changed ranking"));
        }

        Assert.All(seen, a => Assert.Equal("FRESH", a.CacheStatus));
        Assert.Equal(0, await _fleet.Database.OriginQueriesAsync());
        Assert.Equal(scans, await _fleet.Database.ChangeScansAsync());
    }

    [Fact]
    public async Task A_burst_and_a_huge_transaction_queue_each_group_once()
    {
        const int Groups = 200;
        for (var i = 1; i <= Groups; i++)
        {
            await _fleet.Database.SeedAsync($"h{i}", 20);
        }

        var producer = Start(("Ranking:Refresh:Consumers", "0"));
        await Eventually.Until(() => Stream(producer).Epoch != 0 && Producer(producer).Passes >= 2, "the stream running after the first passes");
        await Redis.KeyDeleteAsync(QueueKey);
        await Redis.KeyDeleteAsync($"{_fleet.Prefix}{{refresh:0}}:queued");

        // One transaction changes every row of every group (4,000 rows); then 50 separate commits change h1 again.
        await _fleet.Database.ExecuteAsync("UPDATE ranking_scores SET score = score + 1");
        for (var i = 0; i < 50; i++)
        {
            await _fleet.Database.ExecuteAsync("UPDATE ranking_scores SET score = score + 1 WHERE group_id = 'h1' AND user_id = 'u1'");
        }

        await ConfirmedAsync();

        var queued = (await Redis.StreamRangeAsync(QueueKey)).Select(e => (string)e["g"]!).ToArray();
        Assert.Equal(Groups, queued.Length);
        Assert.Equal(Groups, queued.Distinct().Count());
    }

    [Fact]
    public async Task A_deleted_group_is_queued_and_then_answers_404_and_the_slot_is_reported()
    {
        await SeedAsync("d", 2);
        var host = Start();
        await HandledAsync([host], 2);
        await Eventually.Until(() => Stream(host).Epoch != 0, "the stream running");
        Assert.Equal(HttpStatusCode.OK, (await host.Client.GetAnswerAsync("/ranking/d1")).Status);

        await WriteAsync("DELETE FROM ranking_scores WHERE group_id = 'd1'");

        await Eventually.Until(() => host.Client.GetAnswerAsync("/ranking/d1"), a => a.Status == HttpStatusCode.NotFound, "the deleted group's 404");
        Assert.Equal(HttpStatusCode.OK, (await host.Client.GetAnswerAsync("/ranking/d2")).Status);

        // The leader reports the slot on its next pass, and that it streams. (One host: hosts in one process would
        // report each other's gauges.)
        _fleet.Time.Advance(Period);
        var metrics = await Eventually.Until(() => host.Client.GetStringAsync("/metrics"), m => Gauge(m, "gateway_replication_slot_retained_bytes", "[0-9]+"), "the slot's gauge");
        Assert.True(Gauge(metrics, "gateway_replication_slot_unconfirmed_bytes", "[0-9]+"), "the slot's lag");
        Assert.True(Gauge(metrics, "gateway_replication_streaming", "1"), "streaming");
    }

    [Fact]
    public async Task The_slot_moves_only_past_queued_changes_so_a_new_leader_replays_what_the_last_one_could_not_queue()
    {
        await SeedAsync("k", 1);
        var first = Start(("Ranking:Refresh:Consumers", "0"));
        await Eventually.Until(() => Stream(first).Epoch != 0 && Producer(first).Passes >= 1, "the stream running");

        // Redis refuses the queueing (the queued set is the wrong type): every run of the stream fails on the change.
        await Redis.StringSetAsync($"{_fleet.Prefix}{{refresh:0}}:queued", "broken");
        await WriteAsync("UPDATE ranking_scores SET score = 1000000 WHERE group_id = 'k1' AND user_id = 'u4'");
        var written = await _fleet.Database.ScalarAsync<string>("SELECT pg_current_wal_insert_lsn()::text");
        var attempts = Stream(first).Attempts;
        await Eventually.Until(() => Stream(first).Attempts >= attempts + 2, "the stream failing on the change and trying again");
        Assert.False(await ConfirmedPastAsync(written));

        // The instance goes; Redis is mended; a new instance leads and reads the change from the slot.
        await _fleet.StopAsync(first.Host);
        await Redis.KeyDeleteAsync($"{_fleet.Prefix}{{refresh:0}}:queued");
        var second = Start();
        await Eventually.Until(() => second.Client.GetAnswerAsync("/ranking/k1"), a => a.UserIds[0] == "u4", "the change replayed from the slot");
        await ConfirmedAsync();
    }

    [Fact]
    public async Task After_redis_lost_every_key_the_next_pass_queues_every_group_though_the_stream_ran_meanwhile()
    {
        await SeedAsync("w", 4);
        var host = Start();
        await HandledAsync([host], 4);
        await Eventually.Until(() => Stream(host).Epoch != 0, "the stream running");

        // Redis restarted empty (the queue, the watermark, the entries gone); then a change goes through the stream,
        // which would set a watermark of its own if it could, and the first pass would never come.
        foreach (var key in await RedisProbe.ScanAsync(_redis, _fleet.Prefix + "*"))
        {
            await Redis.KeyDeleteAsync(key);
        }

        await WriteAsync("UPDATE ranking_scores SET score = 1000000 WHERE group_id = 'w1' AND user_id = 'u2'");
        await HandledAsync([host], 5);
        _fleet.Time.Advance(Period);

        // The pass finds no watermark and queues all four groups again.
        await HandledAsync([host], 9);
        Assert.True(await Redis.KeyExistsAsync(_fleet.Prefix + "{refresh:watermark}"));
    }

    [Fact]
    public async Task After_its_connection_is_cut_the_stream_resumes_and_loses_nothing()
    {
        await SeedAsync("r", 1);
        var host = Start();
        await HandledAsync([host], 1);
        await Eventually.Until(() => Stream(host).Epoch != 0, "the stream running");
        var epoch = Stream(host).Epoch;

        // What a PostgreSQL restart does to the stream: its walsender ends. A change is committed once it has.
        var walsender = await _fleet.Database.ScalarAsync<int>($"SELECT active_pid FROM pg_replication_slots WHERE slot_name = '{Slot}'");
        await _fleet.Database.ExecuteAsync($"SELECT pg_terminate_backend({walsender})");
        await Eventually.Until(
            () => _fleet.Database.ScalarAsync<bool>($"SELECT coalesce(active_pid <> {walsender}, true) FROM pg_replication_slots WHERE slot_name = '{Slot}'"),
            gone => gone,
            "the walsender gone");
        await WriteAsync("UPDATE ranking_scores SET score = 1000000 WHERE group_id = 'r1' AND user_id = 'u3'");

        await Eventually.Until(() => host.Client.GetAnswerAsync("/ranking/r1"), a => a.UserIds[0] == "u3", "the change after the stream resumed");
        Assert.NotEqual(epoch, Stream(host).Epoch);
        Assert.NotEqual(0, Stream(host).Epoch);
    }

    [Fact]
    public async Task Without_the_replication_privilege_the_producer_says_why_once_and_polls()
    {
        await SeedAsync("p", 1);
        var noReplication = new NpgsqlConnectionStringBuilder(_fleet.Database.ConnectionString) { Username = "ranking_noreplication" }.ConnectionString;
        var host = _fleet.Start(Settings(("ConnectionStrings:PostgresReplication", noReplication)), s => s.AddFakeLogging());
        await HandledAsync([host], 1);
        await Eventually.Until(() => Stream(host).Attempts >= 3, "three tries of the stream");

        var warnings = host.Host.Services.GetFakeLogCollector().GetSnapshot()
            .Where(r => r.Level == LogLevel.Warning && r.Message.StartsWith("Change stream unavailable", StringComparison.Ordinal)).ToArray();
        var warning = Assert.Single(warnings);
        Assert.Contains("REPLICATION attribute", warning.Message, StringComparison.Ordinal);
        Assert.Equal(0, Stream(host).Epoch);

        // Polling still brings a change within a period.
        await _fleet.Database.ExecuteAsync("UPDATE ranking_scores SET score = 1000000, updated_at = now() WHERE group_id = 'p1' AND user_id = 'u2'");
        _fleet.Time.Advance(Period);
        await Eventually.Until(() => host.Client.GetAnswerAsync("/ranking/p1"), a => a.UserIds[0] == "u2", "the change, by polling");
    }

    [Fact]
    public async Task A_leader_that_loses_the_lease_stops_streaming_and_streams_again_when_it_leads_again()
    {
        await SeedAsync("e", 1);
        var host = Start();
        await HandledAsync([host], 1);
        await Eventually.Until(() => Stream(host).Epoch != 0, "the stream running");

        // Another instance holds the lease for a while (a Redis blip, a long pause): this one stops leading and streaming.
        var lease = _fleet.Prefix + "{refresh:leader}";
        await Redis.StringSetAsync(lease, "someone-else", TimeSpan.FromSeconds(30));
        await Eventually.Until(() => !Producer(host).IsLeader && Stream(host).Epoch == 0, "leadership and the stream given up");

        // It leads again: it produces and streams again, and a change reaches the cache through the stream.
        await Redis.KeyDeleteAsync(lease);
        await Eventually.Until(() => Producer(host).IsLeader && Stream(host).Epoch != 0, "leading and streaming again");
        await WriteAsync("UPDATE ranking_scores SET score = 1000000 WHERE group_id = 'e1' AND user_id = 'u4'");
        await Eventually.Until(() => host.Client.GetAnswerAsync("/ranking/e1"), a => a.UserIds[0] == "u4", "the change after leading again");
    }

    [Fact]
    public async Task A_quiet_stream_confirms_the_wal_of_other_tables_so_the_slot_holds_nothing_back()
    {
        await SeedAsync("q", 1);
        var host = Start();
        await HandledAsync([host], 1);
        await Eventually.Until(() => Stream(host).Epoch != 0, "the stream running");

        // WAL the stream has nothing to do with (PostgreSQL's fast shutdown, too, waits for it to be confirmed).
        await _fleet.Database.ExecuteAsync("CREATE TABLE unrelated (x int); INSERT INTO unrelated SELECT generate_series(1, 10000)");

        await ConfirmedAsync();
    }

    [Fact]
    public async Task A_slot_left_behind_in_poll_mode_is_reported_and_warned_about()
    {
        await SeedAsync("l", 1);

        // A slot from the stream's days that nobody reads any more, and WAL written since.
        await _fleet.Database.ExecuteAsync($"SELECT pg_create_logical_replication_slot('{Slot}', 'pgoutput')");
        await _fleet.Database.ExecuteAsync("UPDATE ranking_scores SET score = score + 1");
        var host = _fleet.Start(AdminCalls.On(Settings(("Ranking:Refresh:Changes", "Poll"), ("Ranking:Refresh:ReplicationLagWarning", "1"))), s => s.AddFakeLogging());
        await HandledAsync([host], 1);

        var warning = await Eventually.Until(
            () => Task.FromResult(host.Host.Services.GetFakeLogCollector().GetSnapshot().FirstOrDefault(r => r.Id.Id == 327)),
            r => r is not null,
            "the slot's warning");
        Assert.Contains($"pg_drop_replication_slot('{Slot}')", warning!.Message, StringComparison.Ordinal);
        Assert.Contains("a stream reads it: False", warning.Message, StringComparison.Ordinal);
        Assert.Equal(0, Stream(host).Attempts);

        // The operator console's overview says so too.
        var overview = (await host.Client.StateAsync("/_admin/overview")).Json;
        Assert.Equal("Poll", overview.GetProperty("changes").GetString());
        Assert.False(overview.GetProperty("slot").GetProperty("active").GetBoolean());
        Assert.True(overview.GetProperty("slot").GetProperty("retained").GetInt64() > 0);
    }

    private IDatabase Redis => _redis.GetDatabase();

    private static bool Gauge(string metrics, string name, string value) =>
        Regex.IsMatch(metrics, $@"^{name}(\{{[^}}]*\}})? {value}$", RegexOptions.Multiline);

    // A write, and a second on the fleet's clock: a recompute is stored only if it is newer than the entry it replaces,
    // and on a clock that stands still it would not be. A second is far from the next pass (Period).
    private async Task WriteAsync(string sql)
    {
        await _fleet.Database.ExecuteAsync(sql);
        _fleet.Time.Advance(TimeSpan.FromSeconds(1));
    }

    private (GatewayHost Host, HttpClient Client) Start(params (string Key, string Value)[] more) => _fleet.Start(Settings(more));

    private Dictionary<string, string?> Settings(params (string Key, string Value)[] more)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Ranking:Refresh:Changes"] = "Replication",
            ["Ranking:Refresh:ReplicationSlot"] = Slot,
            ["Ranking:Refresh:ReplicationRetry"] = "00:00:00.200",
            ["Ranking:Refresh:WatermarkOverlap"] = "00:00:00",
            // Long enough not to change hands while the suite keeps two cores busy; a clean stop hands it over at once.
            ["Ranking:Refresh:LeaseDuration"] = "00:00:05",
            ["Ranking:Refresh:VisibilityTimeout"] = "00:00:03",
            ["Gateway:Policies:ranking:OriginTimeout"] = "00:00:02",
            ["Gateway:Policies:ranking:LockExpiry"] = "00:00:03",
        };
        foreach (var (key, value) in more)
        {
            settings[key] = value;
        }

        return _fleet.Settings("Queue", settings);
    }

    private async Task SeedAsync(string prefix, int groups)
    {
        for (var i = 1; i <= groups; i++)
        {
            await _fleet.Database.SeedAsync($"{prefix}{i}", 5);
        }
    }

    private async Task<(GatewayHost Host, HttpClient Client)> LeaderAsync((GatewayHost Host, HttpClient Client)[] hosts) =>
        await Eventually.Until(() => Task.FromResult(hosts.FirstOrDefault(h => Producer(h).IsLeader)), h => h.Host is not null, "a leader");

    // Until the slot's confirmed position is past everything written so far.
    private async Task ConfirmedAsync()
    {
        var written = await _fleet.Database.ScalarAsync<string>("SELECT pg_current_wal_insert_lsn()::text");
        await Eventually.Until(() => ConfirmedPastAsync(written), past => past, $"the slot confirmed past {written}");
    }

    private Task<bool> ConfirmedPastAsync(string lsn) =>
        _fleet.Database.ScalarAsync<bool>($"SELECT coalesce(confirmed_flush_lsn >= '{lsn}'::pg_lsn, false) FROM pg_replication_slots WHERE slot_name = '{Slot}'");

    private ChangeStream Stream((GatewayHost Host, HttpClient Client) host) => _fleet.Service<ChangeStream>(host.Host);

    private QueueProducer Producer((GatewayHost Host, HttpClient Client) host) => _fleet.Service<QueueProducer>(host.Host);

    private long Handled(IEnumerable<(GatewayHost Host, HttpClient Client)> hosts) => hosts.Sum(h => _fleet.Service<QueueConsumer>(h.Host).Handled);

    private Task HandledAsync(IEnumerable<(GatewayHost Host, HttpClient Client)> hosts, long items) =>
        Eventually.Until(() => Handled(hosts) >= items, $"{items} queued items handled");
}
