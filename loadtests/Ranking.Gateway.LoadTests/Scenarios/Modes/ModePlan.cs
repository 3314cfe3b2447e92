namespace Ranking.Gateway.LoadTests.Scenarios.Modes;

/// <summary>One run of compare-modes: a refresh mode over a number of groups with a number of instances.</summary>
/// <param name="Label">How the run is named in tables and charts.</param>
internal sealed record ModePlan(string Mode, int Groups, int Instances, string Label)
{
    /// <summary>Each group count has a database of its own: the CompetingLocks walk covers every group in the table.</summary>
    public string Database(string baseName) => $"{baseName}_{Groups}";
}
