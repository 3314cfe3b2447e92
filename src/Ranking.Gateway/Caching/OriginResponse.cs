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

    /// <summary>
    /// What a proxied upstream's headers say about caching the answer; null for an origin whose entries the policy's
    /// windows alone time (the ranking store).
    /// </summary>
    public HttpCaching? Caching { get; init; }

    /// <summary>The upstream's own <c>ETag</c>; null when it sent none (the gateway then makes one from the body).</summary>
    public string? ETag { get; init; }

    /// <summary>What the entry can be purged by besides its key (<see cref="EntryTags"/>).</summary>
    public IReadOnlyList<string> Tags { get; init; } = [];

    /// <summary>The upstream answered 304 to a revalidation: this is the stored answer with the 304's headers merged in.</summary>
    public bool Revalidated { get; init; }
}
