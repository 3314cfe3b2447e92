using System.Net;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Ranking.Gateway.Caching;
using Ranking.Gateway.Tests.Infrastructure;

namespace Ranking.Gateway.Tests.Admin;

/// <summary>
/// <c>/_admin/ranking/{group}</c> on two gateway instances sharing Redis and PostgreSQL. L1 is kept 50 s, so an instance
/// that stops serving its in-process copy was told to drop it (pub/sub); it did not expire.
/// </summary>
[Trait("Category", "Cluster")]
public sealed class RankingAdminTests(TestDatabase database) : IClassFixture<TestDatabase>, IAsyncLifetime
{
    // Whole milliseconds: entries keep their times to the millisecond.
    private readonly FakeTimeProvider _time = new(DateTimeOffset.FromUnixTimeMilliseconds(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()));
    private readonly string _prefix = RealServices.NewKeyPrefix();
    private GatewayHost _a = null!;
    private GatewayHost _b = null!;
    private HttpClient[] _clients = null!;
    private RedisProbe _redis = null!;

    public async Task InitializeAsync()
    {
        var settings = GatewayHost.Policy();
        settings["Gateway:Policies:ranking:L1"] = "00:00:50";
        _a = new GatewayHost(database, _prefix, _time, AdminCalls.On(new(settings)));
        _b = new GatewayHost(database, _prefix, _time, AdminCalls.On(new(settings)));
        _clients = [_a.CreateClient(), _b.CreateClient()];
        _redis = await RedisProbe.ConnectAsync();
    }

    public async Task DisposeAsync()
    {
        await _a.DisposeAsync();
        await _b.DisposeAsync();
        await _redis.DisposeAsync();
    }

    [Fact]
    public async Task A_refresh_that_read_the_database_before_a_purge_does_not_put_the_old_answer_back()
    {
        await database.SeedAsync("race", 5);
        var before = await _clients[0].GetAnswerAsync("/ranking/race");
        _time.Advance(TimeSpan.FromSeconds(61));

        // A background refresh on A reads the old scores and is held before it can store them.
        _a.Faults.Close();
        Assert.Equal("STALE", (await _clients[0].GetAnswerAsync("/ranking/race")).CacheStatus);
        await Eventually.Until(() => _a.Faults.Waiting == 1, "the refresh's query done, its store held");

        // Meanwhile the scores change and an operator purges the group on B.
        await database.ExecuteAsync("UPDATE ranking_scores SET score = 1000000 WHERE group_id = 'race' AND user_id = 'u5'");
        Assert.Equal(HttpStatusCode.OK, (await _clients[1].AdminAsync(HttpMethod.Delete, "/_admin/ranking/race")).Status);
        _time.Advance(TimeSpan.FromMilliseconds(1));
        _a.Faults.Open();
        var cache = _a.Services.GetRequiredService<SwrCache>();
        await Eventually.Until(() => cache.ActiveRevalidations == 0, "the held refresh to finish");

        var after = await _clients[1].GetAnswerAsync("/ranking/race");
        Assert.Equal(("u1", "MISS", "u5"), (before.UserIds[0], after.CacheStatus, after.UserIds[0]));
        Assert.Equal(("FRESH", "u5"), ((await _clients[0].GetAnswerAsync("/ranking/race")).CacheStatus, (await _clients[0].GetAnswerAsync("/ranking/race")).UserIds[0]));
    }

    [Fact]
    public async Task The_overview_lists_the_instances_that_are_up_and_not_one_that_stopped()
    {
        var both = await Eventually.Until(
            () => _clients[0].StateAsync("/_admin/overview"), o => o.Json.GetProperty("instances").GetArrayLength() == 2, "both instances announced");
        Assert.Equal(("Lazy", 0), (both.Json.GetProperty("mode").GetString(), both.Json.GetProperty("problems").GetArrayLength()));

        _clients[1].Dispose();
        await _b.DisposeAsync();

        // A clean stop takes the instance off the list at once (not after three missed beats: the test's clock stands still).
        var one = await Eventually.Until(
            () => _clients[0].StateAsync("/_admin/overview"), o => o.Json.GetProperty("instances").GetArrayLength() == 1, "the stopped instance gone");
        Assert.Equal(one.Json.GetProperty("instance").GetString(), one.Json.GetProperty("instances")[0].GetProperty("name").GetString());
    }

    [Fact]
    public async Task Dead_letters_exist_in_queue_mode_only()
    {
        var listed = await _clients[0].StateAsync("/_admin/queue/dead");
        var requeued = await AdminCalls.PostJsonAsync(_clients[0], "/_admin/queue/dead/requeue", "{\"all\": true}");

        ProblemAssert.IsProblem(listed, HttpStatusCode.NotFound, "No queue");
        ProblemAssert.IsProblem(requeued, HttpStatusCode.NotFound, "No queue");
    }

    [Fact]
    public async Task State_follows_the_entry_from_absent_to_fresh_stale_and_expired()
    {
        await database.SeedAsync("life", 5);

        var absent = await _clients[1].StateAsync("/_admin/ranking/life");
        Assert.Equal((HttpStatusCode.OK, "ABSENT", false), (absent.Status, absent.Status(), absent.Json.GetProperty("lockHeld").GetBoolean()));
        Assert.Equal("ranking:life", absent.Json.GetProperty("key").GetString());
        Assert.Equal($"{_prefix}{{ranking:life}}:entry", absent.Json.GetProperty("redisKey").GetString());
        Assert.Null(absent.Time("generatedAt"));

        var read = await _clients[0].GetAnswerAsync("/ranking/life");
        var generated = _time.GetUtcNow();
        var fresh = await _clients[1].StateAsync("/_admin/ranking/life");

        Assert.Equal(("FRESH", 200, Encoding.UTF8.GetByteCount(read.Body)), (fresh.Status(), fresh.Json.GetProperty("statusCode").GetInt32(), fresh.Json.GetProperty("bytes").GetInt32()));
        Assert.Equal(generated, fresh.Time("generatedAt"));
        Assert.Equal(generated.AddSeconds(60), fresh.Time("freshUntil"));
        Assert.Equal(generated.AddMinutes(10).AddSeconds(60), fresh.Time("staleUntil"));
        Assert.Equal(generated.AddHours(1).AddSeconds(60), fresh.Time("errorUntil"));
        Assert.False(fresh.Json.GetProperty("lockHeld").GetBoolean());

        _time.Advance(TimeSpan.FromSeconds(61));
        Assert.Equal("STALE", (await _clients[0].StateAsync("/_admin/ranking/life")).Status());
        _time.Advance(TimeSpan.FromMinutes(10));
        Assert.Equal("EXPIRED", (await _clients[1].StateAsync("/_admin/ranking/life")).Status());
    }

    [Fact]
    public async Task Delete_purges_the_entry_from_Redis_and_from_both_instances()
    {
        await database.SeedAsync("purge", 5);
        Assert.Equal(["MISS", "FRESH"], [(await _clients[0].GetAnswerAsync("/ranking/purge")).CacheStatus, (await _clients[1].GetAnswerAsync("/ranking/purge")).CacheStatus]);
        await database.ExecuteAsync("UPDATE ranking_scores SET score = 1000000 WHERE group_id = 'purge' AND user_id = 'u5'");

        var deleted = await _clients[0].AdminAsync(HttpMethod.Delete, "/_admin/ranking/purge");

        Assert.Equal((HttpStatusCode.OK, "ABSENT"), (deleted.Status, deleted.Status()));
        Assert.DoesNotContain($"{_prefix}{{ranking:purge}}:entry", await _redis.KeysAsync(_prefix));
        // A fetch that began in the purge's very millisecond may have read before it, and may not store: time moves on.
        _time.Advance(TimeSpan.FromMilliseconds(1));
        // The other instance hears of it on the change channel and answers MISS next, with the new data.
        var missed = await Eventually.Until(() => _clients[1].GetAnswerAsync("/ranking/purge"), a => a.CacheStatus != "FRESH", "the other instance to drop its copy");
        Assert.Equal(("MISS", "u5"), (missed.CacheStatus, missed.UserIds[0]));
        // The deleting instance dropped its own copy at once: it reads the entry the other one stored.
        var again = await _clients[0].GetAnswerAsync("/ranking/purge");
        Assert.Equal(("FRESH", "u5"), (again.CacheStatus, again.UserIds[0]));

        var nothing = await _clients[1].AdminAsync(HttpMethod.Delete, "/_admin/ranking/never-read");
        Assert.Equal((HttpStatusCode.OK, "ABSENT"), (nothing.Status, nothing.Status()));
    }

    [Fact]
    public async Task Refresh_recomputes_once_and_both_instances_serve_the_new_entry()
    {
        await database.SeedAsync("now", 5);
        Assert.Equal(["MISS", "FRESH"], [(await _clients[0].GetAnswerAsync("/ranking/now")).CacheStatus, (await _clients[1].GetAnswerAsync("/ranking/now")).CacheStatus]);
        await database.ExecuteAsync("UPDATE ranking_scores SET score = 1000000 WHERE group_id = 'now' AND user_id = 'u5'");
        _time.Advance(TimeSpan.FromSeconds(5));
        var before = await database.OriginQueriesAsync();

        var refreshed = await _clients[0].AdminAsync(HttpMethod.Post, "/_admin/ranking/now/refresh");

        Assert.Equal((HttpStatusCode.OK, "FRESH", "refreshed"), (refreshed.Status, refreshed.Status(), refreshed.Json.GetProperty("refresh").GetString()));
        Assert.Equal(_time.GetUtcNow(), refreshed.Time("generatedAt"));
        Assert.False(refreshed.Json.GetProperty("lockHeld").GetBoolean());
        Assert.Equal(before + 1, await database.OriginQueriesAsync());
        var other = await Eventually.Until(() => _clients[1].GetAnswerAsync("/ranking/now"), a => a.UserIds[0] == "u5", "the other instance to serve the new entry");
        var own = await _clients[0].GetAnswerAsync("/ranking/now");
        Assert.Equal(("FRESH", "FRESH", "u5"), (other.CacheStatus, own.CacheStatus, own.UserIds[0]));
        Assert.Equal(before + 1, await database.OriginQueriesAsync());
    }

    [Fact]
    public async Task Refresh_while_another_refresh_holds_the_lock_is_409_and_does_not_query()
    {
        await database.SeedAsync("busy", 5);
        await _clients[0].GetAnswerAsync("/ranking/busy");
        _time.Advance(TimeSpan.FromSeconds(5));
        var before = await database.OriginQueriesAsync();
        _a.Faults.Close();

        var holding = _clients[0].AdminAsync(HttpMethod.Post, "/_admin/ranking/busy/refresh");
        await Eventually.Until(() => _a.Faults.Waiting == 1, "the first refresh held at the origin");
        var state = await _clients[1].StateAsync("/_admin/ranking/busy");
        var conflicts = new[]
        {
            await _clients[1].AdminAsync(HttpMethod.Post, "/_admin/ranking/busy/refresh"),
            await _clients[0].AdminAsync(HttpMethod.Post, "/_admin/ranking/busy/refresh"),
        };
        _a.Faults.Open();
        var done = await holding;

        Assert.True(state.Json.GetProperty("lockHeld").GetBoolean());
        Assert.All(conflicts, c =>
        {
            ProblemAssert.IsProblem(c, HttpStatusCode.Conflict, "Refresh in progress");
            Assert.Equal("5", c.Header("Retry-After"));
        });
        Assert.Equal((HttpStatusCode.OK, "refreshed", false), (done.Status, done.Json.GetProperty("refresh").GetString(), done.Json.GetProperty("lockHeld").GetBoolean()));
        Assert.Equal(before + 1, await database.OriginQueriesAsync());
        Assert.Equal((2, 0), (_a.Faults.Calls, _b.Faults.Calls)); // the first read and one refresh
    }

    [Fact]
    public async Task Refresh_with_the_origin_down_is_502_and_keeps_the_entry()
    {
        await database.SeedAsync("down", 5);
        await _clients[0].GetAnswerAsync("/ranking/down");
        var kept = await _clients[0].StateAsync("/_admin/ranking/down");
        _time.Advance(TimeSpan.FromSeconds(5));
        _b.Faults.Fail = true;

        var failed = await _clients[1].AdminAsync(HttpMethod.Post, "/_admin/ranking/down/refresh");

        ProblemAssert.IsProblem(failed, HttpStatusCode.BadGateway, "Origin failed");
        var state = await _clients[1].StateAsync("/_admin/ranking/down");
        Assert.Equal((kept.Time("generatedAt"), false), (state.Time("generatedAt"), state.Json.GetProperty("lockHeld").GetBoolean()));
    }

    [Fact]
    public async Task Refresh_with_the_bulkhead_full_is_503_and_keeps_the_entry()
    {
        var settings = GatewayHost.Policy();
        settings["Gateway:Policies:ranking:MaxConcurrentFetches"] = "1";
        settings["Gateway:Policies:ranking:MaxQueuedFetches"] = "0";
        await using var host = new GatewayHost(database, RealServices.NewKeyPrefix(), _time, AdminCalls.On(settings));
        var client = host.CreateClient();
        await database.SeedAsync("full", 5);
        await database.SeedAsync("slow", 5);
        await client.GetAnswerAsync("/ranking/full");
        var kept = await client.StateAsync("/_admin/ranking/full");
        _time.Advance(TimeSpan.FromSeconds(5));

        // A miss of another group takes the only fetch slot and is held at the origin.
        host.Faults.Close();
        var holding = client.GetAnswerAsync("/ranking/slow");
        await Eventually.Until(() => host.Faults.Waiting == 1, "the miss held at the origin");
        var busy = await client.AdminAsync(HttpMethod.Post, "/_admin/ranking/full/refresh");
        host.Faults.Open();
        await holding;

        ProblemAssert.IsProblem(busy, HttpStatusCode.ServiceUnavailable, "Origin busy");
        Assert.Equal("5", busy.Header("Retry-After"));
        var state = await client.StateAsync("/_admin/ranking/full");
        Assert.Equal((kept.Time("generatedAt"), false), (state.Time("generatedAt"), state.Json.GetProperty("lockHeld").GetBoolean()));
    }

    [Theory]
    [InlineData("-starts-with-dash")]
    [InlineData("has%20space")]
    [InlineData("x12345678901234567890123456789012345678901234567890123456789012345")]
    public async Task A_bad_group_id_is_400_and_changes_nothing(string group)
    {
        var before = await database.OriginQueriesAsync();

        var answers = new[]
        {
            await _clients[0].StateAsync($"/_admin/ranking/{group}"),
            await _clients[0].AdminAsync(HttpMethod.Delete, $"/_admin/ranking/{group}"),
            await _clients[1].AdminAsync(HttpMethod.Post, $"/_admin/ranking/{group}/refresh"),
        };

        Assert.All(answers, a => ProblemAssert.IsProblem(a, HttpStatusCode.BadRequest, "Invalid group id"));
        Assert.Equal(before, await database.OriginQueriesAsync());
        Assert.Empty(await _redis.KeysAsync(_prefix));
    }
}
