namespace Ranking.Gateway.Caching;

/// <summary>
/// What an origin answered. <paramref name="Storable"/> is false when the origin forbids caching it.
/// <paramref name="GeneratedAt"/> is when the origin says it produced the data, when it says so (an upstream ranking
/// service's <c>generatedAt</c>): the entry's age counts from then.
/// </summary>
internal sealed record OriginResponse(
    int StatusCode,
    string ContentType,
    byte[] Body,
    IReadOnlyList<KeyValuePair<string, string>> Headers,
    bool Storable = true,
    DateTimeOffset? GeneratedAt = null)
{
    public bool IsServerError => StatusCode >= 500;
}
