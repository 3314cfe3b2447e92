using System.Diagnostics.Metrics;
using System.Text;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.DependencyInjection;
using Ranking.Gateway.Caching;
using Ranking.Gateway.Caching.Redis;
using Ranking.Gateway.Tests.Infrastructure;

namespace Ranking.Gateway.Tests.Caching;

/// <summary>
/// How long the L1 lets a load answer (<see cref="LocalCache.LifetimeOf"/>): a FRESH entry until its fresh window ends, at
/// most <c>L1Max</c>; anything else, or a fresh window shorter than <c>L1</c>, for <c>L1</c>; nothing with <c>L1</c> 0. Past
/// <c>L1Max</c> the next read loads again, and an unchanged entry goes on answering as the copy already held.
/// </summary>
public sealed class L1LifetimeTests(TestDatabase database) : OneGatewayTest(database)
{
    private static readonly CachePolicy Policy = new() { L1 = TimeSpan.FromSeconds(2), L1Max = TimeSpan.FromMinutes(5) };

    [Fact]
    public void A_fresh_entry_answers_until_its_fresh_window_ends_at_most_L1Max_and_is_held_while_fresh_to_be_compared()
    {
        var l1 = Host.Services.GetRequiredService<LocalCache>();

        Assert.Equal(Lifetime(40, 40), l1.LifetimeOf(Loaded(freshFor: TimeSpan.FromSeconds(40)), Policy));
        // Bounded by L1Max, up to a quarter sooner at random (keys loaded together are not all checked together).
        var bounded = Enumerable.Range(0, 200).Select(_ => l1.LifetimeOf(Loaded(freshFor: TimeSpan.FromHours(1)), Policy)).ToList();
        Assert.All(bounded, l => Assert.InRange(l.Trusted.TotalSeconds, 300 - 74.5, 300));
        Assert.All(bounded, l => Assert.Equal(TimeSpan.FromHours(1), l.Held));
        Assert.True(bounded.Max(l => l.Trusted) - bounded.Min(l => l.Trusted) > TimeSpan.FromSeconds(40), "spread over the last quarter");
        Assert.All(Enumerable.Range(0, 50), _ =>
        {
            var lifetime = l1.LifetimeOf(Loaded(freshFor: TimeSpan.FromMinutes(7)), Policy);
            Assert.InRange(lifetime.Trusted.TotalSeconds, 300 - 74.5, 300);
            Assert.Equal(TimeSpan.FromMinutes(7), lifetime.Held);
        });
        Assert.Equal(Lifetime(40, 40), l1.LifetimeOf(Loaded(freshFor: TimeSpan.FromSeconds(40), LoadSource.Origin), Policy));
    }

    [Fact]
    public void Anything_else_answers_for_L1_and_nothing_without_an_L1()
    {
        var l1 = Host.Services.GetRequiredService<LocalCache>();

        Assert.Equal(Lifetime(2, 2), l1.LifetimeOf(Loaded(freshFor: TimeSpan.FromSeconds(1)), Policy));
        Assert.Equal(Lifetime(2, 2), l1.LifetimeOf(Loaded(freshFor: -TimeSpan.FromSeconds(30)), Policy));
        Assert.Equal(Lifetime(2, 2), l1.LifetimeOf(Loaded(freshFor: TimeSpan.FromSeconds(40), LoadSource.Bypass), Policy));
        Assert.Equal(Lifetime(2, 2), l1.LifetimeOf(Loaded(freshFor: TimeSpan.FromSeconds(40), LoadSource.StaleIfError), Policy));
        Assert.Equal(Lifetime(2, 40), l1.LifetimeOf(Loaded(freshFor: TimeSpan.FromSeconds(40)), Policy with { L1Max = TimeSpan.FromSeconds(1) }));
        Assert.Equal(Lifetime(2, 40), l1.LifetimeOf(Loaded(freshFor: TimeSpan.FromSeconds(40)), Policy with { L1Max = TimeSpan.FromSeconds(2) }));
        Assert.Equal(Lifetime(0, 0), l1.LifetimeOf(Loaded(freshFor: TimeSpan.FromSeconds(40)), Policy with { L1 = TimeSpan.Zero }));
    }

    [Fact]
    public async Task Past_L1Max_the_next_read_goes_to_Redis_and_an_unchanged_entry_answers_as_the_copy_already_held()
    {
        var l1 = Host.Services.GetRequiredService<LocalCache>();
        var store = Host.Services.GetRequiredService<RedisEntryStore>();
        var key = $"held:{Guid.NewGuid():N}";
        using var checks = new MetricCollector<long>(Host.Services.GetRequiredService<IMeterFactory>(), CacheMetrics.MeterName, "gateway.cache.l1_checks");
        var reads = 0;
        Func<int, Task<L1Item>> read = async _ =>
        {
            reads++;
            return new L1Item((await store.GetAsync(key)).Entry!, LoadSource.Cache);
        };

        // As the instance that fetched it holds it: times finer than the millisecond Redis keeps.
        var entry = HeldEntry();
        Assert.True(await store.SetAsync(key, entry, TimeSpan.FromHours(2)));
        var first = await l1.LoadAsync(key, 0, _ => Task.FromResult(new L1Item(entry, LoadSource.Origin)), Policy, CancellationToken.None);
        Time.Advance(TimeSpan.FromSeconds(225)); // before the earliest check (L1Max less a quarter)
        Assert.Equal(new L1Hit(first, Due: false), l1.Find(key, Time.GetUtcNow()));

        // L1Max is the bound on a lost announcement: past it the copy is due a look at Redis.
        Time.Advance(TimeSpan.FromSeconds(76));
        Assert.Equal(new L1Hit(first, Due: true), l1.Find(key, Time.GetUtcNow()));
        var again = await l1.LoadAsync(key, 0, read, Policy, CancellationToken.None);
        Assert.Equal(1, reads);
        Assert.Same(entry, again.Entry); // the very object, with what was made of it: nothing new kept for long
        Assert.Equal(LoadSource.Cache, again.Source); // a reader that waited for it was answered from Redis, not the origin
        Assert.Equal(new L1Hit(first, Due: false), l1.Find(key, Time.GetUtcNow())); // the copy held, trusted anew: nothing new kept

        Time.Advance(Policy.L1Max + TimeSpan.FromSeconds(1));
        Assert.Same(entry, (await l1.LoadAsync(key, 0, read, Policy, CancellationToken.None)).Entry);
        Assert.Equal(new L1Hit(first, Due: false), l1.Find(key, Time.GetUtcNow()));

        // A newer entry stored: the next check takes it.
        Assert.True(await store.SetAsync(key, entry with { GeneratedAt = entry.GeneratedAt + TimeSpan.FromSeconds(1) }, TimeSpan.FromHours(2)));
        Time.Advance(Policy.L1Max + TimeSpan.FromSeconds(1));
        var changed = await l1.LoadAsync(key, 0, read, Policy, CancellationToken.None);
        Assert.NotSame(entry, changed.Entry);
        Assert.True(changed.Entry.GeneratedAt > entry.GeneratedAt);
        Assert.Equal(3, reads);
        Assert.Equal(["unchanged", "unchanged", "changed"], checks.GetMeasurementSnapshot().Select(m => (string)m.Tags["result"]!));
    }

    [Fact]
    public void An_entry_is_the_same_as_another_only_when_every_field_as_stored_header_tag_and_byte_is()
    {
        var entry = HeldEntry();
        var decodedAgain = entry with
        {
            Body = [.. entry.Body],
            Headers = [new("X-Upstream", "a")],
            Tags = ["t"],
            GeneratedAt = DateTimeOffset.FromUnixTimeMilliseconds(entry.GeneratedAt.ToUnixTimeMilliseconds()),
        };

        Assert.True(entry.SameAs(decodedAgain));
        Assert.False(entry.SameAs(entry with { GeneratedAt = entry.GeneratedAt + TimeSpan.FromMilliseconds(1) }));
        Assert.False(entry.SameAs(entry with { FreshUntil = entry.FreshUntil - TimeSpan.FromMinutes(1) }));
        Assert.False(entry.SameAs(entry with { Flags = EntryFlags.Purged }));
        Assert.False(entry.SameAs(entry with { Body = "[]"u8.ToArray() }));
        Assert.False(entry.SameAs(entry with { Headers = [new("X-Upstream", "b")] }));
        Assert.False(entry.SameAs(entry with { Tags = ["u"] }));
    }

    // Fresh for an hour, with a header and a tag, its times half a millisecond past a whole one.
    private CacheEntry HeldEntry()
    {
        var generatedAt = DateTimeOffset.FromUnixTimeMilliseconds(Time.GetUtcNow().ToUnixTimeMilliseconds()) + TimeSpan.FromTicks(5_000);
        return Loaded(freshFor: TimeSpan.FromHours(1)).Entry with
        {
            GeneratedAt = generatedAt,
            FreshUntil = generatedAt + TimeSpan.FromHours(1),
            Headers = [new("X-Upstream", "a")],
            Tags = ["t"],
        };
    }

    private static L1Lifetime Lifetime(int trusted, int held) => new(TimeSpan.FromSeconds(trusted), TimeSpan.FromSeconds(held));

    private L1Item Loaded(TimeSpan freshFor, LoadSource source = LoadSource.Cache)
    {
        var now = Time.GetUtcNow();
        var entry = new CacheEntry(200, "application/json", Encoding.UTF8.GetBytes("{}"), "\"e\"", [], now - TimeSpan.FromMinutes(2), now + freshFor, now + freshFor + TimeSpan.FromMinutes(10), now + freshFor + TimeSpan.FromHours(1));
        return new L1Item(entry, source);
    }
}
