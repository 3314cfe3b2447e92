namespace Ranking.Gateway.LoadTests.Load;

/// <summary>One user's score as a committed write left it, and when the commit returned (a Stopwatch timestamp).</summary>
internal readonly record struct ScoreWrite(int Group, int User, long Score, long CommittedTimestamp);
