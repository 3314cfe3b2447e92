using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Ranking.Gateway.Caching;
using Ranking.Gateway.Caching.Redis;
using Ranking.Gateway.Ranking;
using Ranking.Gateway.Tests.Infrastructure;

namespace Ranking.Gateway.Tests.Caching;

/// <summary>
/// What a fill tells the instances waiting on it, and what they do with it: its entry, word that it stored nothing (its
/// answer may not be kept, or the origin failed it), and that word belongs to that fill alone. Two gateway instances.
/// </summary>
[Trait("Category", "Cluster")]
public sealed class FillSignalTests(TestDatabase database) : IClassFixture<TestDatabase>, IAsyncLifetime
{
    // Far longer than any test waits: a waiter that sat it out would time the test out.
    private static readonly TimeSpan LongMissWait = TimeSpan.FromMinutes(2);

    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private readonly string _prefix = RealServices.NewKeyPrefix();
    private readonly List<GatewayHost> _hosts = [];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var host in _hosts)
        {
            host.Faults.Open();
            await host.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_failed_fill_answers_the_instances_waiting_on_it_at_once_and_they_do_not_ask_the_origin_again()
    {
        await database.SeedAsync("failing", 3);
        var (winner, waiter) = (Start(), Start());
        winner.Faults.Close();
        var winning = winner.CreateClient().GetAnswerAsync("/ranking/failing");
        await Eventually.Until(() => winner.Faults.Waiting == 1, "the winner's fill at the origin");
        winner.Faults.FailAfterQuery = true;

        var waiting = waiter.CreateClient().GetAnswerAsync("/ranking/failing");
        await Eventually.Until(() => Fills(waiter).Waiters == 1, "the waiter waiting on the winner's fill");
        winner.Faults.Open();

        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await winning).Status);
        var waited = await waiting;
        Assert.Equal(HttpStatusCode.ServiceUnavailable, waited.Status);
        Assert.Equal(0, waiter.Faults.Calls);
    }

    [Fact]
    public async Task With_negative_caching_off_an_unknown_group_is_404_on_the_instance_that_waited_too()
    {
        var (winner, waiter) = (Start(("Negative", "00:00:00")), Start(("Negative", "00:00:00")));
        winner.Faults.Close();
        var winning = winner.CreateClient().GetAnswerAsync("/ranking/nobody");
        await Eventually.Until(() => winner.Faults.Waiting == 1, "the winner's fill at the origin");

        var waiting = waiter.CreateClient().GetAnswerAsync("/ranking/nobody");
        await Eventually.Until(() => Fills(waiter).Waiters == 1, "the waiter waiting on the winner's fill");
        winner.Faults.Open();

        Assert.All(new[] { await winning, await waiting }, a => Assert.Equal(HttpStatusCode.NotFound, a.Status));
    }

    [Fact]
    public async Task The_word_a_fill_left_is_taken_back_when_the_next_fill_begins()
    {
        var fills = Fills(Start());

        await fills.AbandonAsync("ranking:word", TimeSpan.FromMinutes(1));
        var heard = await fills.WaitForNewerAsync("ranking:word", null, TimeSpan.FromSeconds(5), CancellationToken.None);
        fills.BeginFill("ranking:word");
        var afterNextFillBegan = await fills.WaitForNewerAsync("ranking:word", null, TimeSpan.FromMilliseconds(300), CancellationToken.None);

        Assert.True(heard.Abandoned);
        Assert.False(afterNextFillBegan.Abandoned);
    }

    [Fact]
    public async Task Waits_that_end_leave_nothing_behind()
    {
        var host = Start();
        var fills = Fills(host);
        await database.SeedAsync("waits", 3);
        await host.CreateClient().GetAnswerAsync("/ranking/waits");

        var waits = await Task.WhenAll(Enumerable.Range(0, 50).Select(_ =>
            fills.WaitForNewerAsync(RankingReader.Key("waits"), null, TimeSpan.FromSeconds(5), CancellationToken.None)));
        await fills.AbandonAsync("ranking:gone", TimeSpan.FromMinutes(1));
        await fills.WaitForNewerAsync("ranking:gone", null, TimeSpan.FromSeconds(5), CancellationToken.None);

        Assert.All(waits, w => Assert.NotNull(w.Entry));
        Assert.Equal(0, fills.Waiters);
    }

    private GatewayHost Start(params (string Key, string Value)[] policy)
    {
        var settings = GatewayHost.Policy(missWait: LongMissWait);
        foreach (var (key, value) in policy)
        {
            settings[$"Gateway:Policies:ranking:{key}"] = value;
        }

        var host = new GatewayHost(database, _prefix, _time, settings);
        _hosts.Add(host);
        return host;
    }

    private static FillSignals Fills(GatewayHost host) => host.Services.GetRequiredService<FillSignals>();
}
