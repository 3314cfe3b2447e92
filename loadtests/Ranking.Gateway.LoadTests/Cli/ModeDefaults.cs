namespace Ranking.Gateway.LoadTests.Cli;

/// <summary>
/// compare-modes' defaults. Times are in refresh periods: the period stands for the document's one minute, so a
/// run keeps the same shape whatever --period is. The lead-in of the full run covers one entry's whole life
/// (Fresh + Stale = 11 periods), so lazy modes are measured with entries expiring, not on a cache just filled.
/// </summary>
internal sealed record ModeDefaults(int Groups, int Users, double Rate, TimeSpan Period, double WriteShare, int IdlePeriods, int LeadInPeriods, int WindowPeriods)
{
    private static readonly ModeDefaults Full = new(10_000, 100, 1_000, TimeSpan.FromSeconds(5), 0.01, 3, 11, 12);

    // Tiny and quick, for scripts/test.sh: about 15 s per mode (start, 1 + 2 idle periods, 1 lead-in, 3 measured).
    private static readonly ModeDefaults Smoke = new(200, 20, 100, TimeSpan.FromSeconds(2), 0.05, 2, 1, 3);

    // Many short runs (modes × sizes): long enough for a few refresh cycles, not for a steady lazy cache.
    private static readonly ModeDefaults CostGrowth = Full with { IdlePeriods = 2, LeadInPeriods = 2, WindowPeriods = 4 };

    public static ModeDefaults For(bool smoke, bool costGrowth) => smoke ? Smoke : costGrowth ? CostGrowth : Full;
}
