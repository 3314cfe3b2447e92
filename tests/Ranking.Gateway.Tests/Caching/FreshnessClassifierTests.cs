using Microsoft.Extensions.Time.Testing;
using Ranking.Gateway.Caching;
using Ranking.Gateway.Caching.FreshnessPolicies;

namespace Ranking.Gateway.Tests.Caching;

/// <summary>The read path's behaviour table, row by row, as the pure classifier decides it.</summary>
public sealed class FreshnessClassifierTests
{
    private static readonly TimeSpan Fresh = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan Stale = TimeSpan.FromMinutes(10);
    private static readonly TimeSpan StaleIfError = TimeSpan.FromHours(1);

    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 1, 12, 0, 0, TimeSpan.Zero));

    [Theory]
    [InlineData(0, CacheStatus.Fresh, false)]
    [InlineData(59, CacheStatus.Fresh, false)]
    [InlineData(60, CacheStatus.Stale, true)]
    [InlineData(659, CacheStatus.Stale, true)]
    public void An_entry_from_the_cache_is_fresh_then_stale_and_refreshed(int seconds, CacheStatus status, bool refresh)
    {
        var entry = Entry();
        _time.Advance(TimeSpan.FromSeconds(seconds));

        var verdict = Classify(LoadSource.Cache, entry, waited: false);

        Assert.Equal(new Freshness(status, refresh), verdict);
    }

    [Fact]
    public void An_entry_past_its_stale_window_cannot_answer()
    {
        var entry = Entry();
        _time.Advance(Fresh + Stale);

        Assert.False(Classify(LoadSource.Cache, entry, waited: false).IsUsable);
    }

    [Fact]
    public void A_read_that_waited_for_the_origin_is_a_miss_and_later_reads_of_that_entry_are_fresh()
    {
        var entry = Entry();

        Assert.Equal(Freshness.Miss, Classify(LoadSource.Origin, entry, waited: true));
        Assert.Equal(Freshness.Fresh, Classify(LoadSource.Origin, entry, waited: false));
    }

    [Fact]
    public void An_answer_fetched_without_redis_is_a_bypass_only_while_fresh()
    {
        var entry = Entry();
        Assert.Equal(Freshness.Bypass, Classify(LoadSource.Bypass, entry, waited: false));

        _time.Advance(Fresh);

        Assert.False(Classify(LoadSource.Bypass, entry, waited: false).IsUsable);
    }

    [Fact]
    public void An_expired_copy_stands_in_for_a_failing_origin_until_its_stale_if_error_window_ends()
    {
        var entry = Entry();
        _time.Advance(Fresh + Stale);
        Assert.Equal(Freshness.StandIn, Classify(LoadSource.StaleIfError, entry, waited: true));

        _time.Advance(StaleIfError - Stale);

        Assert.False(Classify(LoadSource.StaleIfError, entry, waited: true).IsUsable);
    }

    [Fact]
    public void A_verdict_about_one_load_never_answers_as_an_entry()
    {
        Assert.False(Classify(LoadSource.Uncacheable, Entry(), waited: true).IsUsable);
        Assert.False(Classify(LoadSource.Failed, Entry(), waited: true).IsUsable);
    }

    [Fact]
    public void The_refresh_mode_decides_what_an_entry_from_the_cache_is()
    {
        var entry = Entry();
        _time.Advance(Fresh + TimeSpan.FromSeconds(1));

        var verdict = FreshnessClassifier.Classify(LoadSource.Cache, entry, false, new AlwaysFresh(), _time.GetUtcNow());

        Assert.Equal(Freshness.Fresh, verdict);
    }

    private Freshness Classify(LoadSource source, CacheEntry entry, bool waited) =>
        FreshnessClassifier.Classify(source, entry, waited, LazyFreshness.Instance, _time.GetUtcNow());

    private CacheEntry Entry()
    {
        var now = _time.GetUtcNow();
        return new CacheEntry(200, "text/plain", [1], "\"e\"", [], now, now + Fresh, now + Fresh + Stale, now + Fresh + StaleIfError);
    }

    private sealed class AlwaysFresh : IFreshnessPolicy
    {
        public Freshness Judge(CacheEntry entry, DateTimeOffset now) => Freshness.Fresh;
    }
}
