namespace Ranking.Gateway.LoadTests.Measurement;

/// <summary>One request: when it was due and how long it took (Stopwatch ticks), its status code and cache answer.</summary>
/// <param name="StartTicks">When the request was due, relative to the start of its phase.</param>
/// <param name="StatusCode">The HTTP status, 0 when there was no answer.</param>
/// <param name="Group">The group asked for (its number), or 0.</param>
internal readonly record struct Sample(long StartTicks, long LatencyTicks, short StatusCode, CacheAnswer Answer, int Group)
{
    public bool IsSuccess => StatusCode is >= 200 and < 300;
}
