namespace Ranking.Gateway.LoadTests.Report;

/// <summary>
/// A claim the run checked. A failed <see cref="Hard"/> check (correctness: stampede protection, no errors,
/// the two origin counts agreeing) makes the runner exit 1; a missed performance target is reported only.
/// </summary>
internal sealed record Check(string Name, string Target, string Actual, bool Passed, bool Hard);
