namespace Ranking.Gateway.LoadTests.Measurement;

/// <summary>One 2xx ranking answer: what it was and when the data in it was read from the origin.</summary>
/// <param name="GeneratedAt">The body's <c>generatedAt</c> (the gateway's clock when its origin query started), UTC ticks; 0 when the body had none.</param>
/// <param name="ReceivedAt">The runner's clock when the whole body had arrived, UTC ticks (same machine clock).</param>
internal readonly record struct ObservedAnswer(int Group, CacheAnswer Answer, long GeneratedAt, long ReceivedAt)
{
    public bool HasGeneratedAt => GeneratedAt != 0;
}
