namespace Ranking.Gateway.Caching;

/// <summary>
/// What a refresh came to, named as the revalidation metric names it. <paramref name="Error"/> says why when the new
/// answer is not in the cache for a reason other than a newer entry (the origin failed, Redis is away).
/// </summary>
internal readonly record struct Refreshed(string Outcome, Exception? Error = null)
{
    public const string Stored = "refreshed";
    public const string NotStored = "not-stored";
    public const string OriginFailed = "origin-failed";
    public const string Overloaded = "overloaded";

    public bool Succeeded => Error is null;

    /// <summary>The outcome of a compare-and-set store: stored, a newer entry won, or Redis was unavailable.</summary>
    public static Refreshed OfStore(bool? stored) => stored switch
    {
        true => new Refreshed(Stored),
        false => new Refreshed(NotStored),
        null => new Refreshed(NotStored, new InvalidOperationException("Redis is unavailable.")),
    };
}
