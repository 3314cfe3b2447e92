namespace Ranking.Gateway.LoadTests.Measurement;

/// <summary>What pg_stat_activity showed at one moment for the gateways' database.</summary>
/// <param name="TopN">Top-N queries running (state active).</param>
/// <param name="Connections">Connections to the database, busy or idle (the gateways' pools, and the runner's if it uses it).</param>
internal readonly record struct PgActivityReading(int TopN, int Connections);
