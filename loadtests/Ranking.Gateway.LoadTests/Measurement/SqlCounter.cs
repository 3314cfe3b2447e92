namespace Ranking.Gateway.LoadTests.Measurement;

/// <summary>pg_stat_statements counters summed over some statements: calls, rows returned or changed, execution time.</summary>
internal readonly record struct SqlCounter(long Calls, long Rows, double ExecMs)
{
    public static readonly SqlCounter Zero = default;

    public SqlCounter Since(SqlCounter before) => new(Calls - before.Calls, Rows - before.Rows, ExecMs - before.ExecMs);
}
