namespace Ranking.Gateway.Caching;

/// <summary>What an origin answered. <paramref name="Storable"/> is false when the origin forbids caching it.</summary>
internal sealed record OriginResponse(
    int StatusCode,
    string ContentType,
    byte[] Body,
    IReadOnlyList<KeyValuePair<string, string>> Headers,
    bool Storable = true)
{
    public bool IsServerError => StatusCode >= 500;
}
