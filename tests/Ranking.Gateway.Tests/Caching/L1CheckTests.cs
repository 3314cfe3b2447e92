using System.Diagnostics.Metrics;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Ranking.Gateway.Caching;
using Ranking.Gateway.Caching.Redis;
using Ranking.Gateway.Ranking;
using Ranking.Gateway.Tests.Infrastructure;

namespace Ranking.Gateway.Tests.Caching;

/// <summary>
/// A FRESH copy past <c>L1Max</c> keeps answering while it is compared with Redis in the background: a hit never waits
/// for Redis, and a change whose announcement was lost is served from the first read after the check.
/// </summary>
public sealed class L1CheckTests(TestDatabase database) : OneGatewayTest(database, GatewayHost.Policy(fresh: TimeSpan.FromHours(1)))
{
    private static readonly CachePolicy Policy = new() { L1 = TimeSpan.FromSeconds(2), L1Max = TimeSpan.FromMinutes(5) };

    [Fact]
    public async Task A_copy_due_a_check_answers_while_the_check_runs_and_one_check_runs_at_a_time()
    {
        var l1 = Host.Services.GetRequiredService<LocalCache>();
        var key = $"checked:{Guid.NewGuid():N}";
        var now = Time.GetUtcNow();
        var entry = new CacheEntry(200, "text/plain", "old"u8.ToArray(), "\"o\"", [], now, now.AddHours(1), now.AddHours(2), now.AddHours(3));
        var first = await l1.LoadAsync(key, 0, _ => Task.FromResult(new L1Item(entry, LoadSource.Origin)), Policy, CancellationToken.None);
        Time.Advance(Policy.L1Max + TimeSpan.FromSeconds(1));

        // The check is held on a gate (Redis slow); the copy answers all the while, and later reads start no other.
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var checks = 0;
        Func<int, Task<L1Item>> slowRead = async _ =>
        {
            Interlocked.Increment(ref checks);
            await gate.Task;
            return new L1Item(entry with { Body = "new"u8.ToArray(), GeneratedAt = now.AddSeconds(1) }, LoadSource.Cache);
        };
        l1.Check(key, 0, slowRead, Policy);
        l1.Check(key, 0, slowRead, Policy);
        Assert.Equal(new L1Hit(first, Due: true), l1.Find(key, Time.GetUtcNow()));
        Assert.Equal(1, checks);

        gate.SetResult();
        var checkedItem = await l1.LoadAsync(key, 0, _ => throw new InvalidOperationException("a second load"), Policy, CancellationToken.None);
        Assert.Equal("new"u8.ToArray(), checkedItem.Entry.Body);
        Assert.Equal(new L1Hit(checkedItem, Due: false), l1.Find(key, Time.GetUtcNow()));
    }

    [Fact]
    public async Task A_copy_read_from_Redis_is_checked_by_the_digest_of_its_stored_bytes_without_reading_them_again()
    {
        var l1 = Host.Services.GetRequiredService<LocalCache>();
        var store = Host.Services.GetRequiredService<RedisEntryStore>();
        using var checks = new MetricCollector<long>(Host.Services.GetRequiredService<IMeterFactory>(), CacheMetrics.MeterName, "gateway.cache.l1_checks");
        var key = $"digest:{Guid.NewGuid():N}";
        var now = Time.GetUtcNow();
        var entry = new CacheEntry(200, "text/plain", "old"u8.ToArray(), "\"o\"", [], now, now.AddHours(1), now.AddHours(2), now.AddHours(3));
        Assert.True(await store.SetAsync(key, entry, TimeSpan.FromHours(4)));
        Assert.Equal(await store.DigestAsync(key), entry.Memo.StoredDigest); // the instance that stored it knows it already
        var reads = 0;
        Func<int, Task<L1Item>> read = async _ =>
        {
            reads++;
            var stored = await store.GetAsync(key);
            return new L1Item(stored.Entry!, LoadSource.Cache) { Digest = stored.Digest };
        };
        var first = await l1.LoadAsync(key, 0, read, Policy, CancellationToken.None);
        Assert.Equal(await store.DigestAsync(key), first.Digest); // .NET's SHA-1 of the bytes read is Redis's of the bytes kept

        // Unchanged: the digests agree, nothing is read again, the copy held is trusted anew.
        Time.Advance(Policy.L1Max + TimeSpan.FromSeconds(1));
        l1.Check(key, 0, read, Policy);
        await checks.WaitForMeasurementsAsync(1, TimeSpan.FromSeconds(10));
        Assert.Equal(("unchanged", 1), ((string)checks.LastMeasurement!.Tags["result"]!, reads));
        Assert.Equal(new L1Hit(first, Due: false), l1.Find(key, Time.GetUtcNow()));

        // Changed (even to the same bytes but soft-purged): the digests differ, the key is read again and replaced.
        Assert.True(await store.PurgeAsync(key, PurgeKind.Soft));
        Time.Advance(Policy.L1Max + TimeSpan.FromSeconds(1));
        l1.Check(key, 0, read, Policy);
        await checks.WaitForMeasurementsAsync(2, TimeSpan.FromSeconds(10));
        Assert.Equal(("changed", 2), ((string)checks.LastMeasurement!.Tags["result"]!, reads));
        Assert.True(l1.Find(key, Time.GetUtcNow()) is null or { Item.Entry.Flags: EntryFlags.Purged });
    }

    [Fact]
    public async Task A_change_whose_announcement_was_lost_is_served_once_the_copy_is_checked_past_L1Max()
    {
        await Database.SeedAsync("lost", 3);
        var store = Host.Services.GetRequiredService<RedisEntryStore>();
        using var checks = new MetricCollector<long>(Host.Services.GetRequiredService<IMeterFactory>(), CacheMetrics.MeterName, "gateway.cache.l1_checks");
        var queries = await Database.OriginQueriesAsync();
        var miss = await Client.GetAnswerAsync("/ranking/lost");
        Assert.Equal((HttpStatusCode.OK, "MISS"), (miss.Status, miss.CacheStatus));

        // Unchanged past L1Max: answered from memory at once (FRESH), checked in the background, kept.
        Time.Advance(TimeSpan.FromMinutes(5) + TimeSpan.FromSeconds(1));
        var due = await Client.GetAnswerAsync("/ranking/lost");
        Assert.Equal(("FRESH", miss.Body), (due.CacheStatus, due.Body));
        await checks.WaitForMeasurementsAsync(1, TimeSpan.FromSeconds(10));
        Assert.Equal("unchanged", checks.LastMeasurement!.Tags["result"]);

        // Redis changed behind this instance's back (its own write: no announcement drops its copy, as if one were lost).
        var stored = (await store.GetAsync(RankingReader.Key("lost"))).Entry!;
        Assert.True(await store.SetAsync(RankingReader.Key("lost"), stored with { Body = "{\"changed\":true}"u8.ToArray(), GeneratedAt = stored.GeneratedAt.AddSeconds(1) }, TimeSpan.FromHours(2)));
        Assert.Equal(miss.Body, (await Client.GetAnswerAsync("/ranking/lost")).Body);

        // Up to L1Max later the copy is checked, and the first read after the check has the change.
        Time.Advance(TimeSpan.FromMinutes(5) + TimeSpan.FromSeconds(1));
        Assert.Equal(miss.Body, (await Client.GetAnswerAsync("/ranking/lost")).Body); // answered while it is checked
        await checks.WaitForMeasurementsAsync(2, TimeSpan.FromSeconds(10));
        Assert.Equal("changed", checks.LastMeasurement!.Tags["result"]);
        var after = await Client.GetAnswerAsync("/ranking/lost");
        Assert.Equal(("FRESH", "{\"changed\":true}"), (after.CacheStatus, after.Body));
        Assert.Equal(queries + 1, await Database.OriginQueriesAsync());
    }
}
