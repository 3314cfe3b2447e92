using Microsoft.Extensions.DependencyInjection;
using Ranking.Gateway.Caching;
using Ranking.Gateway.Tests.Infrastructure;

namespace Ranking.Gateway.Tests.Refresh;

/// <summary>Probabilistic early refresh (XFetch): a hot group is refreshed before it goes stale, once per window.</summary>
[Trait("Category", "Cluster")]
public sealed class EarlyRefreshTests(TestDatabase database) : OneGatewayTest(database, Settings())
{
    private static readonly TimeSpan Fresh = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan Step = TimeSpan.FromMilliseconds(10);
    private static readonly TimeSpan Recompute = TimeSpan.FromMilliseconds(500);

    [Fact]
    public async Task Steady_reads_of_a_hot_group_never_see_it_stale_and_recompute_it_once_per_window()
    {
        await Database.SeedAsync("hot", 5);

        // The first fill takes half a second of the clock: the entry records that its recompute costs that much.
        Host.Faults.Close();
        var first = Client.GetAnswerAsync("/ranking/hot");
        await Eventually.Until(() => Host.Faults.Waiting == 1, "the first fill at the origin");
        Time.Advance(Recompute);
        Host.Faults.Open();
        Assert.Equal("MISS", (await first).CacheStatus);

        // Fifty seconds of reads, one every 10 ms: five fresh windows.
        Host.Faults.Close();
        var statuses = new Dictionary<string, int>();
        for (var elapsed = TimeSpan.Zero; elapsed < 5 * Fresh; elapsed += Step)
        {
            Time.Advance(Step);
            var answer = await Client.GetAnswerAsync("/ranking/hot");
            statuses[answer.CacheStatus] = statuses.GetValueOrDefault(answer.CacheStatus) + 1;

            // The clock stands still while a refresh this read started makes its way to the origin; there it takes
            // half a second while reads go on, then it lands.
            await Eventually.Until(() => Host.Faults.Waiting == 1 || Cache.ActiveRevalidations == 0, "a started refresh at the origin");
            if (Host.Faults.Waiting == 1)
            {
                for (var held = TimeSpan.Zero; held < Recompute; held += Step)
                {
                    Time.Advance(Step);
                    var during = await Client.GetAnswerAsync("/ranking/hot");
                    statuses[during.CacheStatus] = statuses.GetValueOrDefault(during.CacheStatus) + 1;
                    elapsed += Step;
                }

                Host.Faults.Open();
                // The ranking is unchanged, so the refreshed entry keeps its body: its age says it landed.
                await Eventually.Until(() => Client.GetAnswerAsync("/ranking/hot"), a => a.Header("Age") == "0", "the refreshed entry");
                Host.Faults.Close();
            }
        }

        Host.Faults.Open();
        Assert.Equal(["FRESH"], statuses.Keys);

        // Every window was refreshed before it ended, and none twice: each refresh came in an entry's second half.
        var recomputes = Host.Faults.Calls - 1;
        Assert.InRange(recomputes, 5, 10);
        Assert.Equal(Host.Faults.Calls, await Database.OriginQueriesAsync());
    }

    private SwrCache Cache => Host.Services.GetRequiredService<SwrCache>();

    private static Dictionary<string, string?> Settings()
    {
        var settings = GatewayHost.Policy(fresh: Fresh);
        settings["Ranking:Refresh:Mode"] = "Early";
        return settings;
    }
}
