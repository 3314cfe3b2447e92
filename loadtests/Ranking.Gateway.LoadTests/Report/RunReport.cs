using Ranking.Gateway.LoadTests.Measurement;
using Ranking.Gateway.LoadTests.Scenarios;

namespace Ranking.Gateway.LoadTests.Report;

/// <summary>Everything one run measured and concluded, for the console table, the Markdown report and the chart.</summary>
internal sealed class RunReport
{
    public required string Scenario { get; init; }

    public required string Title { get; init; }

    public required string RunId { get; init; }

    public required IReadOnlyList<string> CommandLine { get; init; }

    public required string OutDirectory { get; init; }

    public DateTimeOffset Started { get; } = DateTimeOffset.Now;

    public List<string> Setup { get; } = [];

    public BaselineResult? Baselines { get; set; }

    public List<PhaseResult> Phases { get; } = [];

    /// <summary>The phase drawn second by second in the chart, with its events.</summary>
    public (PhaseResult Phase, IReadOnlyList<Marker> Markers)? Timeline { get; set; }

    /// <summary>Scenario-specific tables, after the phase tables.</summary>
    public List<ReportTable> Tables { get; } = [];

    /// <summary>Scenario-specific bar charts, drawn after the latency chart.</summary>
    public List<BarSet> Bars { get; } = [];

    public List<Check> Checks { get; } = [];

    public List<string> Notes { get; } = [];

    public bool Passed => Checks.Where(c => c.Hard).All(c => c.Passed);

    public IEnumerable<PhaseResult> AllPhases => (Baselines?.Phases ?? []).Concat(Phases);

    public void Hard(string name, string target, string actual, bool passed) => Checks.Add(new Check(name, target, actual, passed, Hard: true));

    public void Target(string name, string target, string actual, bool passed) => Checks.Add(new Check(name, target, actual, passed, Hard: false));
}
