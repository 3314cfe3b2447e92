using System.Net;
using Ranking.Gateway.Refresh.CompetingLocks;
using Ranking.Gateway.Refresh.Queue;
using Ranking.Gateway.Tests.Infrastructure;

namespace Ranking.Gateway.Tests.Refresh;

/// <summary>The read path is the same in every mode: switching is configuration only, and a cold stampede is one query.</summary>
public sealed class ModeSwitchTests
{
    [Theory]
    [InlineData("Lazy")]
    [InlineData("CompetingLocks")]
    [InlineData("Queue")]
    [InlineData("Early")]
    public async Task A_group_nobody_cached_yet_is_fetched_once_across_instances_in_every_mode(string mode)
    {
        await using var fleet = await RefreshFleet.CreateAsync(TimeSpan.FromMinutes(1));
        await fleet.Database.SeedAsync("known", 5);
        var instances = new[] { fleet.Start(fleet.Settings(mode)), fleet.Start(fleet.Settings(mode)) };
        await BackgroundSettledAsync(fleet, instances.Select(i => i.Host).ToArray(), mode);

        // A group that appears after the background work of this period: only readers can bring it in.
        await fleet.Database.SeedAsync("cold", 150);
        var before = await fleet.Database.OriginQueriesAsync();
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var reads = Enumerable.Range(0, 200).Select(async i =>
        {
            await start.Task;
            return await instances[i % 2].Client.GetAnswerAsync("/ranking/cold");
        }).ToArray();
        start.SetResult();
        var answers = await Task.WhenAll(reads);

        Assert.All(answers, a => Assert.Equal(HttpStatusCode.OK, a.Status));
        Assert.Single(answers.Select(a => a.Body).Distinct());
        Assert.Contains(answers, a => a.CacheStatus == "MISS");
        Assert.Equal(before + 1, await fleet.Database.OriginQueriesAsync());
    }

    private static Task BackgroundSettledAsync(RefreshFleet fleet, GatewayHost[] hosts, string mode) => mode switch
    {
        "CompetingLocks" => Eventually.Until(() => hosts.All(h => fleet.Service<GroupWalker>(h).Walks >= 1), "the first walks"),
        "Queue" => Eventually.Until(() => hosts.Sum(h => fleet.Service<QueueConsumer>(h).Handled) >= 1, "the first pass consumed"),
        _ => Task.CompletedTask,
    };
}
