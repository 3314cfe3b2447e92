namespace Ranking.Gateway.LoadTests.Measurement;

/// <summary>One value a <see cref="PeriodicSampler{T}"/> read, and when (from its phase's start).</summary>
internal readonly record struct Reading<T>(TimeSpan At, T Value);
