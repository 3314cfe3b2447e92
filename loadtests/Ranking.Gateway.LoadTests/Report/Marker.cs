namespace Ranking.Gateway.LoadTests.Report;

/// <summary>Something that happened during a timed phase (e.g. "Redis stopped"), relative to its start.</summary>
internal sealed record Marker(TimeSpan At, string Label);
