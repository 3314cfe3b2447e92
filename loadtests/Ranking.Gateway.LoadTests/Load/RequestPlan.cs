namespace Ranking.Gateway.LoadTests.Load;

/// <summary>What to ask for next: the URL of request number <c>n</c>, given a random source of the caller's own.</summary>
/// <returns>The URL and the group number it asks for (0 when none).</returns>
internal delegate (Uri Uri, int Group) RequestPlan(long n, Random random);
