using Ranking.Gateway.LoadTests.Hosting;
using Ranking.Gateway.LoadTests.Load;
using Ranking.Gateway.LoadTests.Measurement;
using Ranking.Gateway.LoadTests.Report;

namespace Ranking.Gateway.LoadTests.Scenarios.Overload;

/// <summary>
/// Seconds of issue 10's overload scenarios, so they cannot rot: a never-seen-id flood against an instance with the
/// bulkhead and against one with Ranking:RejectUnknownGroups, then Redis frozen under steady load. Fails when
/// PostgreSQL ran more Top-N queries at once than the bulkhead allows, when the rejecting instance queried it, when a
/// known read beside a flood failed, when a request got no answer during the freeze or when caching did not resume
/// after it. A freeze's 503s (the bulkhead turning away the fetches one Redis timeout releases together) are reported,
/// not failed on: the full redis-freeze scenario measures them.
/// </summary>
internal static class OverloadSmokeScenario
{
    public const int Groups = 200;
    public const double ProbeRate = 100;
    public const int Connections = 32;
    public static readonly TimeSpan Fresh = TimeSpan.FromMinutes(10);

    // A short break, so caching resumes within the few seconds the smoke watches after the thaw.
    public static readonly TimeSpan BreakDuration = TimeSpan.FromSeconds(2);

    private const double FreezeRate = 300;
    private static readonly TimeSpan FloodLength = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan FreezeLength = TimeSpan.FromSeconds(6);
    private static readonly TimeSpan FreezeAt = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan FreezeFor = TimeSpan.FromSeconds(1.5);

    public static IReadOnlyList<string> Settings => [$"Gateway:RedisBreakDuration={BreakDuration:c}"];

    public static async Task RunAsync(TestBed bed, RunReport report, CancellationToken cancellationToken)
    {
        var (maxFetches, _) = FloodScenario.Bulkhead(bed);
        var rejecting = await FloodScenario.StartRejectingAsync(bed, warmUp: false, cancellationToken);
        var fill = await SteadyLoad.FillAsync(bed, Groups, cancellationToken);
        report.Phases.Add(fill);
        StandardChecks.AllAnswered(report, fill);

        using var probeClient = new LoadClient();
        foreach (var target in new[] { FloodScenario.Default(bed), rejecting })
        {
            var flood = await FloodPhase.RunAsync(bed, target, unknownIds: true, probeClient, FloodLength, cancellationToken);
            report.Phases.Add(flood.Flood);
            report.Phases.Add(flood.Probe);
            FloodScenario.CheckUnknownFlood(report, flood, maxFetches);
        }

        var freeze = await RedisFreeze.RunAsync(bed, "redis freeze", FreezeRate, FreezeLength, FreezeAt, FreezeFor, cancellationToken);
        var phase = freeze.Phase;
        report.Phases.Add(phase);
        report.Timeline = (phase, freeze.Markers);
        report.Hard("redis freeze: every request got an HTTP answer", "0 errors", $"{phase.Errors:N0} errors", phase.Errors == 0 && phase.NotSent == 0);
        report.Target(
            "redis freeze: every answer 2xx", "0 non-2xx",
            $"{phase.NonSuccessCount:N0} non-2xx ({freeze.Rejected:N0} fetches turned away by the bulkhead)", phase.NonSuccessCount == 0);
        report.Hard(
            "redis freeze: caching resumed after SIGCONT", $"≤ RedisBreakDuration + 1 s = {(BreakDuration + TimeSpan.FromSeconds(1)).TotalSeconds:0.#} s",
            $"{RedisFreezeScenario.Seconds(freeze.Resumed)} (the first BYPASS {RedisFreezeScenario.Seconds(freeze.FirstBypass)} after SIGSTOP)",
            freeze.FirstBypass is not null && freeze.Resumed is { } resumed && resumed <= BreakDuration + TimeSpan.FromSeconds(1));
    }
}
