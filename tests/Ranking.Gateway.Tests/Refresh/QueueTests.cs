using System.Text.RegularExpressions;
using Ranking.Gateway.Caching.FreshnessPolicies;
using Ranking.Gateway.Refresh;
using Ranking.Gateway.Refresh.Queue;
using Ranking.Gateway.Tests.Admin;
using Ranking.Gateway.Tests.Infrastructure;
using StackExchange.Redis;

namespace Ranking.Gateway.Tests.Refresh;

/// <summary>Architecture 2: an elected producer queues changed groups; every instance consumes, in batches.</summary>
[Trait("Category", "Cluster")]
[Collection(AloneCollection.Name)] // reads the queue's gauges from /metrics (see AloneCollection)
public sealed class QueueTests : IAsyncLifetime
{
    private static readonly TimeSpan Period = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(1);

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

    private IDatabase Redis => _redis.GetDatabase();

    // The queue's keys with the default single shard (RefreshQueue).
    private string Key(string name) => name switch
    {
        "dirty" => _fleet.Prefix + "{refresh}:dirty",
        "dirty:taken" => _fleet.Prefix + "{refresh}:dirty:taken",
        "leader" => _fleet.Prefix + "{refresh:leader}",
        _ => ShardKey(0, name),
    };

    private string ShardKey(int shard, string name) => $"{_fleet.Prefix}{{refresh:{shard}}}:{name}";

    [Fact]
    public async Task The_first_pass_precaches_every_group_in_batches_of_one_statement_each()
    {
        await SeedAsync("b", 25);
        var hosts = StartInstances(2, ("Ranking:Refresh:BatchSize", "10"));

        await HandledAsync(hosts, 25);

        // 25 groups in batches of at most 10: three statements, no single-group query.
        Assert.Equal(3, await _fleet.Database.BatchQueriesAsync());
        Assert.Equal(0, await _fleet.Database.OriginQueriesAsync());
        var answers = await Task.WhenAll(Enumerable.Range(1, 25).Select(i => hosts[i % 2].Client.GetAnswerAsync($"/ranking/b{i}")));
        Assert.All(answers, a => Assert.Equal("FRESH", a.CacheStatus));
        Assert.Equal(0, await _fleet.Database.OriginQueriesAsync());
        Assert.Equal(0, await Redis.StreamLengthAsync(Key("queue")));
    }

    [Fact]
    public async Task A_first_pass_cut_short_resumes_after_the_last_group_it_queued_instead_of_queueing_every_group_again()
    {
        await SeedAsync("r", 6);

        // What a first pass leaves when it queued r1..r3 and then failed (a Redis timeout): its start and its last group.
        var start = DateTime.UtcNow;
        await Redis.HashSetAsync(_fleet.Prefix + "{refresh:first-pass}", [new("start", (start - DateTime.UnixEpoch).Ticks / 10), new("after", "r3")]);
        var hosts = StartInstances(1, ("Ranking:Refresh:WatermarkOverlap", "00:00:00"));

        await Eventually.Until(async () => await Redis.KeyExistsAsync(_fleet.Prefix + "{refresh:watermark}"), w => w, "the first pass finished");
        await HandledAsync(hosts, 3);

        // Only r4..r6 were queued; the pass's record is gone and the watermark is its start.
        Assert.Equal(3, Handled(hosts));
        Assert.False(await Redis.KeyExistsAsync(_fleet.Prefix + "{refresh:first-pass}"));
        Assert.Equal((start - DateTime.UnixEpoch).Ticks / 10, (long)await Redis.StringGetAsync(_fleet.Prefix + "{refresh:watermark}"));
        Assert.Equal("FRESH", (await hosts[0].Client.GetAnswerAsync("/ranking/r5")).CacheStatus);
        Assert.Equal(0, await _fleet.Database.OriginQueriesAsync());
    }

    [Fact]
    public async Task A_change_written_to_postgres_is_served_fresh_within_one_period_with_no_miss()
    {
        await SeedAsync("c", 3);

        // No reach-back behind the watermark: the groups seeded a moment ago would otherwise be queued once more.
        var hosts = StartInstances(2, ("Ranking:Refresh:WatermarkOverlap", "00:00:00"));
        await HandledAsync(hosts, 3);
        var before = await hosts[0].Client.GetAnswerAsync("/ranking/c2");
        Assert.Equal(("FRESH", "u1"), (before.CacheStatus, before.UserIds[0]));

        await _fleet.Database.ExecuteAsync("UPDATE ranking_scores SET score = 1000000, updated_at = now() WHERE group_id = 'c2' AND user_id = 'u5'");
        _fleet.Time.Advance(Period);

        // No more time passes: the producer's pass for this period and one batch must bring the change.
        var seen = new List<Answer>();
        await Eventually.Until(
            async () =>
            {
                var answer = await hosts[seen.Count % 2].Client.GetAnswerAsync("/ranking/c2");
                seen.Add(answer);
                return answer;
            },
            a => a.UserIds[0] == "u5",
            "the changed ranking");
        Assert.All(seen, a => Assert.Equal("FRESH", a.CacheStatus));

        // Unchanged groups were not recomputed just because time passed.
        Assert.Equal(0, await _fleet.Database.OriginQueriesAsync());
        Assert.Equal(4, Handled(hosts));
    }

    [Fact]
    public async Task An_unchanged_group_stays_fresh_however_old_and_is_never_recomputed_for_age()
    {
        await SeedAsync("u", 2);
        var hosts = StartInstances(2, ("Ranking:Refresh:WatermarkOverlap", "00:00:00"));
        await HandledAsync(hosts, 2);
        var leader = await Eventually.Until(() => Task.FromResult(hosts.FirstOrDefault(h => Service<QueueProducer>(h.Host).IsLeader)), h => h.Host is not null, "a leader");
        var passes = Service<QueueProducer>(leader.Host).Passes;

        // Far past the policy's fresh, stale and stale-if-error windows (60 s, 10 min, 1 h).
        _fleet.Time.Advance(TimeSpan.FromHours(3));
        await Eventually.Until(() => Service<QueueProducer>(leader.Host).Passes > passes, "a producer pass three hours later");
        await Eventually.Until(() => hosts.All(h => Service<QueueVouch>(h.Host).Covers(_fleet.Time.GetUtcNow())), "every instance has the producer's new word");

        var answers = await Task.WhenAll(hosts.Select(h => h.Client.GetAnswerAsync("/ranking/u1")));
        Assert.All(answers, a => Assert.Equal("FRESH", a.CacheStatus));
        Assert.Equal("10800", answers[0].Header("Age"));
        Assert.Equal(0, await _fleet.Database.OriginQueriesAsync());
        Assert.Equal(1, await _fleet.Database.BatchQueriesAsync());
    }

    [Fact]
    public async Task Duplicate_changes_of_one_group_are_coalesced_into_one_recompute()
    {
        await SeedAsync("d", 1);

        // A lease that cannot lapse while the consumer's host starts: a new leader's first pass re-reads the overlap
        // window, and would queue d1 again once the consumer has taken it (harmless, but not what this test counts).
        var lease = ("Ranking:Refresh:LeaseDuration", "00:00:30");
        var producer = _fleet.Start(Settings(("Ranking:Refresh:Consumers", "0"), lease));
        await Eventually.Until(() => Service<QueueProducer>(producer).Passes >= 1, "the first pass");
        Assert.Equal(1, await Redis.StreamLengthAsync(Key("queue")));

        // Changed again and again while still queued: by score updates, in two periods, and by writers' dirty marks.
        for (var pass = 2; pass <= 3; pass++)
        {
            await _fleet.Database.ExecuteAsync("UPDATE ranking_scores SET score = score + 1, updated_at = now() WHERE group_id = 'd1'");
            await Redis.SetAddAsync(Key("dirty"), "d1");
            _fleet.Time.Advance(Period);
            await Eventually.Until(() => Service<QueueProducer>(producer).Passes >= pass, $"pass {pass}");
        }

        Assert.Equal(1, await Redis.StreamLengthAsync(Key("queue")));
        var consumer = _fleet.Start(Settings(lease));
        await HandledAsync([consumer], 1);
        Assert.Equal(1, await _fleet.Database.BatchQueriesAsync());
    }

    [Fact]
    public async Task Dirty_marks_a_producer_took_and_never_queued_are_queued_by_the_next_pass()
    {
        await SeedAsync("m", 1);
        var producer = _fleet.Start(Settings(("Ranking:Refresh:Consumers", "0")));
        await Eventually.Until(() => Service<QueueProducer>(producer).Passes >= 1, "the first pass");

        // What a producer that died between taking marks and queueing them leaves behind, and a writer's new mark.
        await Redis.SetAddAsync(Key("dirty:taken"), ["m-lost1", "m-lost2"]);
        await Redis.SetAddAsync(Key("dirty"), "m-new");
        _fleet.Time.Advance(Period);
        await Eventually.Until(() => Service<QueueProducer>(producer).Passes >= 2, "the next pass");

        var queued = (await Redis.StreamRangeAsync(Key("queue"))).Select(e => (string)e["g"]!).Order(StringComparer.Ordinal);
        Assert.Equal(["m-lost1", "m-lost2", "m-new", "m1"], queued);
        Assert.Equal(0, await Redis.SetLengthAsync(Key("dirty:taken")));
        Assert.Equal(0, await Redis.SetLengthAsync(Key("dirty")));
    }

    [Fact]
    public async Task A_consumer_that_stops_cleanly_leaves_no_name_behind_unless_it_holds_items()
    {
        await SeedAsync("n", 2);
        var first = _fleet.Start(Settings());
        await HandledAsync([first], 2);
        Assert.NotEmpty(await Redis.StreamConsumerInfoAsync(Key("queue"), RefreshQueue.ConsumerGroup));

        await _fleet.StopAsync(first.Host);
        Assert.Empty(await Redis.StreamConsumerInfoAsync(Key("queue"), RefreshQueue.ConsumerGroup));

        // A consumer holding an item keeps its name, or the item could never be taken over; one holding nothing goes.
        var deliveries = Service<QueueDeliveries>(_fleet.Start(Settings(("Ranking:Refresh:Consumers", "0"))));
        await Redis.StreamAddAsync(Key("queue"), "g", "n1");
        await Redis.StreamAddAsync(Key("queue"), "g", "n2");
        Assert.Single(await Redis.StreamReadGroupAsync(Key("queue"), RefreshQueue.ConsumerGroup, "holder", StreamPosition.NewMessages, 1));
        var done = Assert.Single(await Redis.StreamReadGroupAsync(Key("queue"), RefreshQueue.ConsumerGroup, "done", StreamPosition.NewMessages, 1));
        await Redis.StreamAcknowledgeAsync(Key("queue"), RefreshQueue.ConsumerGroup, done.Id);
        Assert.Equal(2, (await Redis.StreamConsumerInfoAsync(Key("queue"), RefreshQueue.ConsumerGroup)).Length);

        await deliveries.RemoveConsumerAsync("holder");
        await deliveries.RemoveConsumerAsync("done");
        var left = Assert.Single(await Redis.StreamConsumerInfoAsync(Key("queue"), RefreshQueue.ConsumerGroup));
        Assert.Equal(("holder", 1), (left.Name, left.PendingMessageCount));
    }

    // What `redis-cli cluster keyslot` answered for these on the local cluster.
    [Theory]
    [InlineData("123456789", 12739)]
    [InlineData("s1", 15224)]
    [InlineData("g42", 443)]
    [InlineData("ranking:g1", 1611)]
    [InlineData("Z9_.:-z", 13931)]
    public void A_groups_shard_follows_its_Redis_Cluster_key_slot(string group, int slot) => Assert.Equal(slot, RefreshQueue.KeySlot(group));

    [Fact]
    public async Task With_several_shards_each_group_is_queued_in_its_slots_shard_and_every_shard_is_consumed()
    {
        const int Shards = 4;
        await SeedAsync("s", 24);
        var producer = _fleet.Start(Settings(("Ranking:Refresh:Consumers", "0"), ("Ranking:Refresh:QueueShards", $"{Shards}")));
        await Eventually.Until(() => Service<QueueProducer>(producer).Passes >= 1, "the first pass");
        await Redis.SetAddAsync(Key("dirty"), "s1");
        _fleet.Time.Advance(Period);
        await Eventually.Until(() => Service<QueueProducer>(producer).Passes >= 2, "a pass taking the dirty mark");

        // Every group once, in the shard its key slot picks (s1's dirty mark found it already queued).
        var queued = await Task.WhenAll(Enumerable.Range(0, Shards).Select(async i => (await Redis.StreamRangeAsync(ShardKey(i, "queue"))).Select(e => (Shard: i, Group: (string)e["g"]!))));
        var groups = queued.SelectMany(q => q).ToArray();
        Assert.Equal(Enumerable.Range(1, 24).Select(i => $"s{i}").Order(), groups.Select(g => g.Group).Order());
        Assert.True(queued.Count(q => q.Any()) > 1, "the groups spread over more than one shard");
        Assert.All(groups, g => Assert.Equal(RefreshQueue.KeySlot(g.Group) % Shards, g.Shard));
        Assert.Equal(0, await Redis.SetLengthAsync(Key("dirty")));

        var consumers = StartInstances(2, ("Ranking:Refresh:QueueShards", $"{Shards}"));
        await HandledAsync(consumers, 24);
        var answers = await Task.WhenAll(Enumerable.Range(1, 24).Select(i => consumers[i % 2].Client.GetAnswerAsync($"/ranking/s{i}")));
        Assert.All(answers, a => Assert.Equal("FRESH", a.CacheStatus));
        Assert.Equal(0, await _fleet.Database.OriginQueriesAsync());
        Assert.All(await Task.WhenAll(Enumerable.Range(0, Shards).Select(i => Redis.StreamLengthAsync(ShardKey(i, "queue")))), l => Assert.Equal(0, l));
    }

    [Fact]
    public async Task Instances_whose_QueueShards_differ_read_every_shard_in_use_and_strand_no_group()
    {
        const int Shards = 4;
        await SeedAsync("x", 12);

        // A stray value where the count in use is kept does not stop the queue: the first instance writes its own over it.
        await Redis.StringSetAsync(_fleet.Prefix + "{refresh:shards}", "not a number");
        var producer = _fleet.Start(Settings(("Ranking:Refresh:Consumers", "0"), ("Ranking:Refresh:QueueShards", $"{Shards}")));
        await Eventually.Until(() => Service<QueueProducer>(producer).Passes >= 1, "the first pass");
        Assert.True(
            (await Task.WhenAll(Enumerable.Range(1, Shards - 1).Select(i => Redis.StreamLengthAsync(ShardKey(i, "queue"))))).Sum() > 0,
            "groups queued beyond shard 0");

        // A consumer configured with one shard reads all four, and each group leaves the queued set it was queued in,
        // so its next change queues it again.
        var consumer = _fleet.Start(Settings(("Ranking:Refresh:QueueShards", "1")));
        await HandledAsync([consumer], 12);
        Assert.Equal(Shards, Service<RefreshQueue>(consumer).ShardsInUse.Count);
        Assert.Equal($"{Shards}", await Redis.StringGetAsync(_fleet.Prefix + "{refresh:shards}"));
        Assert.All(await Task.WhenAll(Enumerable.Range(0, Shards).Select(i => Redis.SetLengthAsync(ShardKey(i, "queued")))), n => Assert.Equal(0, n));
        var answers = await Task.WhenAll(Enumerable.Range(1, 12).Select(i => consumer.Client.GetAnswerAsync($"/ranking/x{i}")));
        Assert.All(answers, a => Assert.Equal("FRESH", a.CacheStatus));
        Assert.Equal(0, await _fleet.Database.OriginQueriesAsync());
    }

    [Fact]
    public async Task A_dead_producer_is_replaced_within_one_lease()
    {
        await SeedAsync("f", 2);

        // A producer that died holding the lease: the instances must wait for it to run out, then one takes over.
        await Redis.StringSetAsync(Key("leader"), "crashed-instance", Lease * 3);
        var hosts = StartInstances(2);
        while (true)
        {
            // Passes first: if the dead producer still holds the lease after, it held it while they were counted.
            var passes = hosts.Sum(h => Service<QueueProducer>(h.Host).Passes);
            if ((string?)await Redis.StringGetAsync(Key("leader")) != "crashed-instance")
            {
                break;
            }

            Assert.Equal(0, passes);
            await Task.Delay(20);
        }

        await Eventually.Until(() => hosts.Count(h => Service<QueueProducer>(h.Host).Passes >= 1) == 1, "one instance producing", Lease * 5);
        await HandledAsync(hosts, 2);

        // The producer stops; the other instance takes over and produces the next change.
        var holder = (string?)await Redis.StringGetAsync(Key("leader"));
        var leader = hosts.Single(h => Service<RefreshInstance>(h.Host).Name == holder);
        var other = hosts.Single(h => h != leader);
        await _fleet.StopAsync(leader.Host);
        await Eventually.Until(() => Service<QueueProducer>(other.Host).Passes >= 1, "the other instance producing", Lease * 5);
        await _fleet.Database.ExecuteAsync("UPDATE ranking_scores SET score = 1000000, updated_at = now() WHERE group_id = 'f1' AND user_id = 'u5'");
        _fleet.Time.Advance(Period);
        await Eventually.Until(() => other.Client.GetAnswerAsync("/ranking/f1"), a => a.UserIds[0] == "u5", "the change, produced by the new leader");
    }

    [Fact]
    public async Task A_write_that_commits_after_a_pass_that_read_past_it_is_still_queued()
    {
        await SeedAsync("l", 2);
        var hosts = StartInstances(1);
        await HandledAsync(hosts, 2);

        // l1's transaction starts first (its updated_at is older), l2's commits first and moves the watermark past it.
        await using var slow = new Npgsql.NpgsqlConnection(_fleet.Database.ConnectionString);
        await slow.OpenAsync();
        await using var transaction = await slow.BeginTransactionAsync();
        await using (var update = new Npgsql.NpgsqlCommand("UPDATE ranking_scores SET score = 1000000, updated_at = now() WHERE group_id = 'l1' AND user_id = 'u5'", slow, transaction))
        {
            await update.ExecuteNonQueryAsync();
        }

        await _fleet.Database.ExecuteAsync("UPDATE ranking_scores SET score = 1000000, updated_at = now() WHERE group_id = 'l2' AND user_id = 'u5'");
        _fleet.Time.Advance(Period);
        await Eventually.Until(() => hosts[0].Client.GetAnswerAsync("/ranking/l2"), a => a.UserIds[0] == "u5", "l2's change");

        await transaction.CommitAsync();
        _fleet.Time.Advance(Period);
        await Eventually.Until(() => hosts[0].Client.GetAnswerAsync("/ranking/l1"), a => a.UserIds[0] == "u5", "l1's late change");
    }

    [Fact]
    public async Task A_poison_group_goes_to_the_dead_letter_stream_with_its_error_while_the_rest_of_its_batch_is_stored()
    {
        await SeedAsync("p", 5);
        var hosts = StartInstances(2);
        await HandledAsync(hosts, 5);
        var old = await hosts[0].Client.GetAnswerAsync("/ranking/p1");

        foreach (var (host, _) in hosts)
        {
            host.Faults.Poison("p1");
        }

        await _fleet.Database.ExecuteAsync("UPDATE ranking_scores SET score = 1000000, updated_at = now() WHERE group_id IN ('p1', 'p2') AND user_id = 'u5'");
        _fleet.Time.Advance(Period);

        await Eventually.Until(() => Redis.StreamLengthAsync(Key("dead")), n => n == 1, "one dead letter");
        var dead = (await Redis.StreamRangeAsync(Key("dead"))).Single();
        Assert.Equal("p1", (string?)dead["g"]);
        Assert.Equal(3, (long)dead["deliveries"]);
        Assert.Contains("Injected failure for group p1", (string?)dead["error"], StringComparison.Ordinal);

        // The leader reports the letter and how long it has waited, from its next pass on.
        _fleet.Time.Advance(Period);
        await Eventually.Until(
            async () => string.Concat(await Task.WhenAll(hosts.Select(h => h.Client.GetStringAsync("/metrics")))),
            text => Regex.IsMatch(text, @"^gateway_queue_dead_letters(\{[^}]*\})? 1$", RegexOptions.Multiline) && Regex.IsMatch(text, @"^gateway_queue_dead_letter_oldest_age_seconds(\{[^}]*\})? [0-9.]+$", RegexOptions.Multiline),
            "the dead letter's count and age in the leader's metrics");

        // The rest of its batch was stored; the poison group's old entry now says it is behind.
        var p2 = await hosts[1].Client.GetAnswerAsync("/ranking/p2");
        Assert.Equal(("FRESH", "u5"), (p2.CacheStatus, p2.UserIds[0]));
        // The other instance drops its in-process copy when it hears of the change (pub/sub), so wait for that.
        var p1 = await Eventually.Until(() => hosts[1].Client.GetAnswerAsync("/ranking/p1"), a => a.CacheStatus == "STALE", "p1 answered STALE");
        Assert.Equal(old.Body, p1.Body);
        Assert.Equal(0, await Redis.StreamLengthAsync(Key("queue")));
    }

    [Fact]
    public async Task Groups_whose_queued_items_vanished_from_the_stream_are_queued_again()
    {
        await SeedAsync("v", 3);
        var hosts = StartInstances(1, ("Ranking:Refresh:Consumers", "0"));
        await Eventually.Until(() => Redis.StreamLengthAsync(Key("queue")), n => n == 3, "the first pass's three items");

        // An operator trims the stream by hand: the groups stay marked queued, without their items.
        await Redis.StreamTrimAsync(Key("queue"), 0);
        var passes = Service<QueueProducer>(hosts[0]).Passes;
        _fleet.Time.Advance(Period);
        await Eventually.Until(() => Service<QueueProducer>(hosts[0]).Passes > passes, "the next pass");

        var groups = (await Redis.StreamRangeAsync(Key("queue"))).Select(e => (string)e["g"]!).Order().ToArray();
        Assert.Equal(["v1", "v2", "v3"], groups);
    }

    [Fact]
    public async Task A_batch_that_runs_past_the_visibility_timeout_is_not_taken_over_while_it_runs()
    {
        await SeedAsync("h", 3);
        // A retry only 2 s after the batch failed, and a takeover (visibility 3 s) seen 2 s into the batch: a delivery
        // count above one right after the batch failed can only mean a takeover while it ran.
        var hosts = StartInstances(2, ("Ranking:Refresh:RetryBackoff", "00:00:02"), ("Ranking:Refresh:BatchSize", "3"), ("Ranking:Refresh:WatermarkOverlap", "00:00:00"));
        await HandledAsync(hosts, 3);

        // The batch fails on h1, so its groups are recomputed one by one, and h2 and h3 each hang until OriginTimeout
        // (2 s): four seconds of work against a visibility timeout of three.
        foreach (var (host, _) in hosts)
        {
            host.Faults.Poison("h1");
            host.Faults.Close();
        }

        await _fleet.Database.ExecuteAsync("UPDATE ranking_scores SET score = score + 1, updated_at = now() WHERE user_id = 'u1'");
        _fleet.Time.Advance(Period);
        await Eventually.Until(() => Redis.HashLengthAsync(Key("errors")), n => n == 3, "the batch's three failures recorded");

        var pending = await Redis.StreamPendingMessagesAsync(Key("queue"), RefreshQueue.ConsumerGroup, 10, RedisValue.Null);
        Assert.Equal(3, pending.Length);
        Assert.All(pending, p => Assert.Equal(1, p.DeliveryCount));
        Assert.Single(pending.Select(p => p.ConsumerName).Distinct());
    }

    [Fact]
    public async Task A_deleted_group_answers_404_within_one_period()
    {
        await SeedAsync("x", 3);
        var hosts = StartInstances(2, ("Ranking:Refresh:WatermarkOverlap", "00:00:00"));
        await HandledAsync(hosts, 3);
        Assert.Equal("FRESH", (await hosts[0].Client.GetAnswerAsync("/ranking/x2")).CacheStatus);

        await _fleet.Database.ExecuteAsync("DELETE FROM ranking_scores WHERE group_id = 'x2'");
        _fleet.Time.Advance(Period);

        var gone = await Eventually.Until(() => hosts[1].Client.GetAnswerAsync("/ranking/x2"), a => a.Status == System.Net.HttpStatusCode.NotFound, "x2 answered 404");
        Assert.Equal("application/problem+json", gone.Message.Content.Headers.ContentType?.MediaType);
        Assert.Equal("FRESH", (await hosts[1].Client.GetAnswerAsync("/ranking/x1")).CacheStatus);
    }

    [Fact]
    public async Task A_dead_letter_can_be_listed_requeued_once_its_cause_is_fixed_and_dropped_through_the_admin_api()
    {
        await SeedAsync("l", 3);
        var hosts = StartInstances(2, ("Admin:ApiKey", AdminCalls.Key));
        await HandledAsync(hosts, 3);
        foreach (var (host, _) in hosts)
        {
            host.Faults.Poison("l1");
        }

        await _fleet.Database.ExecuteAsync("UPDATE ranking_scores SET score = 1000000, updated_at = now() WHERE group_id IN ('l1', 'l2') AND user_id = 'u5'");
        _fleet.Time.Advance(Period);
        await Eventually.Until(() => Redis.StreamLengthAsync(Key("dead")), n => n == 1, "one dead letter");
        var client = hosts[1].Client;

        var listed = await client.StateAsync("/_admin/queue/dead");
        var letter = listed.Json.GetProperty("letters")[0];
        Assert.Equal((1, "l1", 3), (listed.Json.GetProperty("count").GetInt32(), letter.GetProperty("group").GetString(), letter.GetProperty("deliveries").GetInt32()));
        Assert.Contains("Injected failure for group l1", letter.GetProperty("error").GetString(), StringComparison.Ordinal);

        foreach (var (host, _) in hosts)
        {
            host.Faults.Cure("l1");
        }

        var requeued = await AdminCalls.PostJsonAsync(client, "/_admin/queue/dead/requeue", $"{{\"ids\": [\"{letter.GetProperty("id").GetString()}\"]}}");
        Assert.Equal(1, requeued.Json.GetProperty("affected").GetInt32());
        var fresh = await Eventually.Until(() => client.GetAnswerAsync("/ranking/l1"), a => a.CacheStatus == "FRESH" && a.UserIds[0] == "u5", "l1 recomputed with its change");
        Assert.Equal(0, await Redis.StreamLengthAsync(Key("dead")));

        var dropped = await AdminCalls.PostJsonAsync(client, "/_admin/queue/dead/drop", "{\"all\": true}");
        var bad = await AdminCalls.PostJsonAsync(client, "/_admin/queue/dead/requeue", "{\"ids\": [\"9/not-an-id\"]}");
        Assert.Equal(0, dropped.Json.GetProperty("affected").GetInt32());
        ProblemAssert.IsProblem(bad, System.Net.HttpStatusCode.BadRequest, "Invalid letter");
        Assert.Equal("u5", fresh.UserIds[0]);
    }

    [Fact]
    public async Task A_soft_purge_queues_its_groups_and_the_consumers_recompute_them_in_a_batch()
    {
        await SeedAsync("p", 3);
        var hosts = StartInstances(2, ("Admin:ApiKey", AdminCalls.Key), ("Ranking:Refresh:WatermarkOverlap", "00:00:00"));
        await HandledAsync(hosts, 3);
        var batches = await _fleet.Database.BatchQueriesAsync();

        // No period passes: only the purge can bring this change before the next pass.
        await _fleet.Database.ExecuteAsync("UPDATE ranking_scores SET score = 1000000 WHERE group_id IN ('p1', 'p2') AND user_id = 'u5'");

        // A batch that begins in the purge's own millisecond is refused; the test's clock must move as real time would.
        _fleet.Time.AutoAdvanceAmount = TimeSpan.FromMilliseconds(1);
        var purged = await AdminCalls.PostJsonAsync(hosts[1].Client, "/_admin/purge", "{\"groups\": [\"p1\", \"p2\"]}");

        Assert.Equal((2, 2, 0), (purged.Json.GetProperty("affected").GetInt32(), purged.Json.GetProperty("queued").GetInt32(), purged.Json.GetProperty("refreshing").GetInt32()));
        for (var i = 0; i < hosts.Length; i++)
        {
            foreach (var group in new[] { "p1", "p2" })
            {
                // Said in full when it times out: which instance, what it answered, and how old that was.
                await Eventually.Until(
                    async () => (await hosts[i].Client.GetAnswerAsync($"/ranking/{group}")) is var a ? (a.CacheStatus, First: a.UserIds[0], Age: a.Header("Age"), Cache: a.Header("Cache-Status")) : default,
                    a => a is { CacheStatus: "FRESH", First: "u5" },
                    $"{group} recomputed, read from instance {i}");
            }
        }

        Assert.Equal("u1", (await hosts[0].Client.GetAnswerAsync("/ranking/p3")).UserIds[0]);
        Assert.Equal(0, await _fleet.Database.OriginQueriesAsync());
        Assert.InRange(await _fleet.Database.BatchQueriesAsync() - batches, 1, 2);
    }

    [Fact]
    public async Task Items_of_a_consumer_that_died_before_acknowledging_are_processed_by_another()
    {
        await SeedAsync("k", 4);
        var producer = _fleet.Start(Settings(("Ranking:Refresh:Consumers", "0")));
        await Eventually.Until(() => Service<QueueProducer>(producer).Passes >= 1, "the first pass");

        // A consumer reads every item and dies before acknowledging any.
        var read = await Redis.StreamReadGroupAsync(Key("queue"), RefreshQueue.ConsumerGroup, "dead-consumer", StreamPosition.NewMessages, 100);
        Assert.Equal(4, read.Length);

        var survivor = _fleet.Start(Settings());
        await HandledAsync([survivor], 4);
        Assert.Equal(0, (await Redis.StreamPendingAsync(Key("queue"), RefreshQueue.ConsumerGroup)).PendingMessageCount);
        var answers = await Task.WhenAll(Enumerable.Range(1, 4).Select(i => survivor.Client.GetAnswerAsync($"/ranking/k{i}")));
        Assert.All(answers, a => Assert.Equal("FRESH", a.CacheStatus));
        Assert.Equal(0, await _fleet.Database.OriginQueriesAsync());
    }

    [Fact]
    public async Task Without_a_producer_entries_age_into_the_lazy_path()
    {
        await SeedAsync("z", 1);
        await Redis.StringSetAsync(Key("leader"), "someone-else", TimeSpan.FromMinutes(5));
        var (_, client) = _fleet.Start(Settings());

        Assert.Equal("MISS", (await client.GetAnswerAsync("/ranking/z1")).CacheStatus);
        _fleet.Time.Advance(TimeSpan.FromSeconds(61));
        Assert.Equal("STALE", (await client.GetAnswerAsync("/ranking/z1")).CacheStatus);
        await Eventually.Until(() => client.GetAnswerAsync("/ranking/z1"), a => a.CacheStatus == "FRESH", "the lazy refresh");
        Assert.Equal(2, await _fleet.Database.OriginQueriesAsync());
    }

    private Dictionary<string, string?> Settings(params (string Key, string Value)[] more)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Ranking:Refresh:LeaseDuration"] = Lease.ToString(),
            ["Ranking:Refresh:VisibilityTimeout"] = "00:00:03",
            ["Ranking:Refresh:RetryBackoff"] = "00:00:00.200",
            ["Ranking:Refresh:MaxDeliveries"] = "3",
            ["Gateway:Policies:ranking:OriginTimeout"] = "00:00:02",
            ["Gateway:Policies:ranking:LockExpiry"] = "00:00:03",
        };
        foreach (var (key, value) in more)
        {
            settings[key] = value;
        }

        return _fleet.Settings("Queue", settings);
    }

    private (GatewayHost Host, HttpClient Client)[] StartInstances(int count, params (string Key, string Value)[] more) =>
        [.. Enumerable.Range(0, count).Select(_ => _fleet.Start(Settings(more)))];

    private async Task SeedAsync(string prefix, int groups)
    {
        for (var i = 1; i <= groups; i++)
        {
            await _fleet.Database.SeedAsync($"{prefix}{i}", 5);
        }
    }

    private T Service<T>(GatewayHost host)
        where T : notnull => _fleet.Service<T>(host);

    private T Service<T>((GatewayHost Host, HttpClient Client) instance)
        where T : notnull => _fleet.Service<T>(instance.Host);

    private long Handled(IEnumerable<(GatewayHost Host, HttpClient Client)> hosts) => hosts.Sum(h => Service<QueueConsumer>(h.Host).Handled);

    private Task HandledAsync(IEnumerable<(GatewayHost Host, HttpClient Client)> hosts, long items) =>
        Eventually.Until(() => Handled(hosts) >= items, $"{items} queued items handled");
}
