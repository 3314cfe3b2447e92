namespace Ranking.Gateway.Caching;

/// <summary>
/// The entry that answers a read and how it was obtained. When <paramref name="Shareable"/> is false the origin
/// forbade caching the answer and the caller must obtain its own (a proxy forwards the client's request).
/// <paramref name="Stored"/> says whether the answer is in the shared cache (a miss that waited too long for another
/// instance fetches its own answer and does not store it). With a <paramref name="Failure"/>, the origin failed and no
/// cached copy may stand in: there is no entry.
/// </summary>
internal readonly record struct CacheLookup(CacheEntry Entry, CacheStatus Status, bool Shareable = true, bool Stored = true, OriginFailure? Failure = null)
{
    public static CacheLookup Failed(OriginFailure failure) => new(EntryFactory.Nothing, CacheStatus.Miss, Shareable: false, Stored: false, failure);
}
