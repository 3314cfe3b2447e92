using Ranking.Gateway.LoadTests.Cli;
using Ranking.Gateway.LoadTests.Measurement;
using Ranking.Gateway.LoadTests.Report;

namespace Ranking.Gateway.LoadTests.Scenarios;

/// <summary>Many clients ask for one never-cached group at once, spread over the instances: the origin must run once.</summary>
internal static class StampedeColdScenario
{
    public static async Task RunAsync(TestBed bed, RunReport report, CancellationToken cancellationToken)
    {
        var args = bed.Args;
        report.Baselines = await Baselines.MeasureAsync(bed, args.Groups, cancellationToken);

        var group = Stampede.PickGroup(args);
        await Stampede.WarmAsync(bed, args.Clients);
        Console.Error.WriteLine($"Cold stampede: {args.Clients:N0} clients on {group} over {bed.Gateways.Count} instance(s) ...");
        var phase = await Stampede.RunAsync(
            bed, "cold stampede", $"{args.Clients:N0} clients at once, never-cached group {group}", group, args.Clients,
            countOrigin: true, args.OriginDelay + TimeSpan.FromSeconds(15), cancellationToken);
        report.Phases.Add(phase);

        StandardChecks.Baselines(report, report.Baselines);
        StandardChecks.AllAnswered(report, phase);
        StandardChecks.OriginExactly(report, phase, 1, "origin queries for the group, across instances");
        StandardChecks.OriginCountsAgree(report, phase);
        report.Notes.Add($"Answers: {phase.Answers[CacheAnswer.Miss]:N0} MISS (each waited for the one origin query), {phase.Answers[CacheAnswer.Fresh]:N0} FRESH.");
    }
}
