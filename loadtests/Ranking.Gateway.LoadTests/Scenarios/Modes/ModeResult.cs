using Ranking.Gateway.LoadTests.Measurement;

namespace Ranking.Gateway.LoadTests.Scenarios.Modes;

/// <summary>What one mode's run measured.</summary>
/// <param name="Reads">The measured window's reads (the lead-in's are left out).</param>
/// <param name="LeadInFailures">Non-2xx answers and errors during the lead-in.</param>
/// <param name="FirstPeriod">The first refresh period of reads (the lead-in's start): what a cold start costs readers.</param>
/// <param name="Idle">Writes without reads, before the read load; null when there was no idle window.</param>
/// <param name="Window">The measured window (reads and writes).</param>
/// <param name="Gauges">The largest value each queue gauge reached during the window.</param>
/// <param name="GroupsReadPerPeriod">Distinct groups read per refresh period, averaged over the window.</param>
/// <param name="IdleWrites">Group writes committed from one period before the idle window to its end, and the distinct groups among them.</param>
/// <param name="Elastic">With --elastic, the measured window's thirds: before the join, after it, after the leave.</param>
/// <param name="ChangedGroupsPerPeriod">Distinct groups the writer changed per refresh period, averaged over the window.</param>
internal sealed record ModeResult(
    ModePlan Plan,
    PhaseResult Reads,
    int LeadInFailures,
    FirstReads FirstPeriod,
    CostDelta? Idle,
    CostDelta Window,
    StalenessSummary Staleness,
    IReadOnlyDictionary<string, double> Gauges,
    double GroupsReadPerPeriod,
    (long Writes, int Groups) IdleWrites,
    (long Writes, int Groups) WindowWrites,
    double ChangedGroupsPerPeriod,
    (double P50, double P99, double Max) WriteLatencyMs,
    IReadOnlyList<ElasticWindow> Elastic,
    IReadOnlyList<string> Setup,
    IReadOnlyList<string> Problems);

/// <summary>The reads of the first refresh period: how many, how many were MISS and how long those took, how many failed.</summary>
internal sealed record FirstReads(int Reads, int Misses, LatencySummary MissLatency, int Failures)
{
    public static FirstReads Of(IReadOnlyCollection<Sample> samples) => new(
        samples.Count,
        samples.Count(s => s.Answer == CacheAnswer.Miss),
        LatencySummary.Of(samples.Where(s => s.Answer == CacheAnswer.Miss)),
        samples.Count(s => !s.IsSuccess));
}

/// <summary>A part of an --elastic run's window: what it cost, the reads in it and the staleness they saw.</summary>
internal sealed record ElasticWindow(string Label, CostDelta Cost, Sample[] Reads, StalenessSummary Staleness);
