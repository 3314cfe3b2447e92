using Ranking.Gateway.LoadTests.Measurement;
using Ranking.Gateway.LoadTests.Report;

namespace Ranking.Gateway.LoadTests.Scenarios;

/// <summary>
/// Seconds of small runs for the test command, so the runner cannot rot: a cold stampede, a stale stampede on
/// the same group and a short steady mix, over two instances with a slowed origin and a 3-second fresh window.
/// Fails when stampede protection fails, when any request is not answered 2xx, or when the counts disagree.
/// </summary>
internal static class SmokeScenario
{
    public const int Groups = 100;
    public const int Users = 100;
    public static readonly TimeSpan OriginDelay = TimeSpan.FromMilliseconds(200);
    public static readonly TimeSpan Fresh = TimeSpan.FromSeconds(3);
    private const int Clients = 50;

    public static async Task RunAsync(TestBed bed, RunReport report, CancellationToken cancellationToken)
    {
        var settle = OriginDelay + TimeSpan.FromSeconds(10);
        var group = $"g{Groups}";
        await Stampede.WarmAsync(bed, Clients);

        var cold = await Stampede.RunAsync(bed, "cold stampede", $"{Clients} clients at once, never-cached {group}", group, Clients, countOrigin: true, settle, cancellationToken);
        report.Phases.Add(cold);
        StandardChecks.AllAnswered(report, cold);
        StandardChecks.OriginExactly(report, cold, 1, "origin queries across instances");
        StandardChecks.OriginCountsAgree(report, cold);

        var entry = await Stampede.ReadFreshEntryAsync(bed, group, cancellationToken);
        await Stampede.WaitUntilAsync(entry.StaleAt, cancellationToken);
        var stale = await Stampede.RunAsync(bed, "stale stampede", $"{Clients} clients at once, {group} stale", group, Clients, countOrigin: true, settle, cancellationToken);
        report.Phases.Add(stale);
        StandardChecks.AllAnswered(report, stale);
        StandardChecks.OriginExactly(report, stale, 1, "background refreshes across instances");
        StandardChecks.OriginCountsAgree(report, stale);
        report.Hard(
            "stale stampede: answered from the stale copy", "no MISS, some STALE",
            $"{stale.Answers[CacheAnswer.Stale]} STALE, {stale.Answers[CacheAnswer.Fresh]} FRESH, {stale.Answers[CacheAnswer.Miss]} MISS",
            stale.Answers[CacheAnswer.Miss] == 0 && stale.Answers[CacheAnswer.Stale] > 0);

        // The other groups, for less than one fresh window: one origin query per group read.
        var steady = await SteadyLoad.RunAsync(bed, "steady", Groups - 1, rate: null, concurrency: 8, TimeSpan.FromSeconds(2), cancellationToken);
        report.Phases.Add(steady);
        StandardChecks.AllAnswered(report, steady);
        StandardChecks.OriginExactly(report, steady, steady.DistinctGroups, "origin queries = distinct groups read");
        StandardChecks.OriginCountsAgree(report, steady);
    }
}
