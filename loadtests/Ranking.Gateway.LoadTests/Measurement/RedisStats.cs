namespace Ranking.Gateway.LoadTests.Measurement;

/// <summary>
/// Redis' own counters at one moment (<c>INFO</c>): calls by command (commandstats; commands run inside a Lua script
/// are counted under their own names too) and the server's CPU seconds.
/// </summary>
internal sealed record RedisStats(IReadOnlyDictionary<string, long> Calls, double CpuSeconds)
{
    public static readonly RedisStats Unavailable = new(new Dictionary<string, long>(), 0) { Available = false };

    // The runner's own INFO calls, not the gateways'.
    private static readonly string[] RunnerCommands = ["info"];

    public bool Available { get; init; } = true;

    /// <summary>Calls by the gateways (the runner's INFO left out).</summary>
    public long Total => Calls.Where(c => !RunnerCommands.Contains(c.Key)).Sum(c => c.Value);

    public RedisStats Since(RedisStats before) => new(
        Calls.Where(c => !RunnerCommands.Contains(c.Key))
            .Select(c => (c.Key, Value: c.Value - before.Calls.GetValueOrDefault(c.Key)))
            .Where(c => c.Value > 0)
            .ToDictionary(c => c.Key, c => c.Value),
        CpuSeconds - before.CpuSeconds)
    {
        Available = Available && before.Available,
    };
}
