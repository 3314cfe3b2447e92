namespace Ranking.Gateway.LoadTests.Scenarios;

/// <summary>How a scenario wants its gateways started (ignored for --url targets, except <see cref="Groups"/>).</summary>
/// <param name="Groups">Groups the database must hold (g1..gN).</param>
/// <param name="OriginDelay">pg_sleep added to every origin query.</param>
/// <param name="Fresh">The fresh window, without jitter; null keeps appsettings.json's.</param>
/// <param name="HitGateway">Start one more, default-configured instance for the FRESH-hit baseline.</param>
/// <param name="PrivateRedis">Give the gateways a redis-server of the runner's own.</param>
/// <param name="Settings">More configuration for the scenario's instances, <c>Key=Value</c>; --set still wins.</param>
internal sealed record TestBedOptions(int Groups, TimeSpan OriginDelay, TimeSpan? Fresh, bool HitGateway, bool PrivateRedis = false, IReadOnlyList<string>? Settings = null);
