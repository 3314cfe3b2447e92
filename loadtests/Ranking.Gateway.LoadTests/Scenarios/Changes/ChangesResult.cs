using Ranking.Gateway.LoadTests.Measurement;

namespace Ranking.Gateway.LoadTests.Scenarios.Changes;

/// <summary>What one change source's run measured.</summary>
/// <param name="Changes">Group changes the steady writer committed (one user of one group each).</param>
/// <param name="Grace">How long the wait for the last tracked writes took after the writer stopped.</param>
/// <param name="SteadyCost">From the writer's start to the end of the grace: every recompute the steady writes caused.</param>
/// <param name="BurstGroupsWritten">Groups the burst changed.</param>
/// <param name="BurstRows">Rows (one user's score each) the burst changed.</param>
/// <param name="BurstLength">From the burst's start until its last commit returned.</param>
/// <param name="BurstVisibleAfter">From the burst's last commit until every instance showed every burst group; null when some never did.</param>
/// <param name="BacklogAfter">Items in the queue's stream (XLEN) <see cref="ChangesRun.BacklogAfter"/> after the burst's last commit.</param>
/// <param name="BurstCost">From the end of the steady part until every burst group showed (or the wait ran out).</param>
/// <param name="Wal">The slot's retained and unconfirmed WAL, bytes, every second; empty when no such slot existed.</param>
internal sealed record ChangesResult(
    string Source,
    string Slot,
    PhaseResult Reads,
    long Changes,
    VisibilitySummary Steady,
    TimeSpan Grace,
    CostDelta SteadyCost,
    long BurstGroupsWritten,
    long BurstRows,
    TimeSpan BurstLength,
    VisibilitySummary Burst,
    TimeSpan? BurstVisibleAfter,
    long BacklogAfter,
    CostDelta BurstCost,
    IReadOnlyList<Reading<(long Retained, long Unconfirmed)>> Wal,
    (double P50, double P99, double Max) CommitMs,
    IReadOnlyList<string> Setup,
    IReadOnlyList<string> Problems)
{
    /// <summary>Top-N and change-scan execution time of the steady part, ms per group change.</summary>
    public double DbMsPerChange => Per(SteadyCost.Sql.Single.ExecMs + SteadyCost.Sql.Batched.ExecMs + SteadyCost.Sql.ChangeScans.ExecMs);

    /// <summary>Groups the burst made the consumers recompute (the refresh counter, every instance).</summary>
    public long BurstRecomputes => BurstCost.Metrics.Refreshed;

    public double Per(double count) => Changes > 0 ? count / Changes : double.NaN;
}
