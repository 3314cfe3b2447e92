namespace Ranking.Gateway.Caching;

/// <summary>
/// What an upstream's answer says about caching it (RFC 9111, RFC 5861, RFC 9213), read once per fill from its headers
/// (<see cref="Proxy.UpstreamCaching"/>); <see cref="EntryFactory"/> turns it into the entry's lifetimes, within the
/// policy's windows.
/// </summary>
/// <param name="NotStorable">Why the answer may not be kept in the shared cache (a metric tag), or null when it may.</param>
/// <param name="Fresh">
/// Freshness left when the answer arrived: its explicit lifetime (<c>s-maxage</c>, <c>max-age</c> or <c>Expires</c>) or,
/// where the policy takes it, the heuristic one (10% of its age by <c>Last-Modified</c>, RFC 9111 §4.2.2), less its
/// <paramref name="Age"/>; zero or less when it arrived stale; null when it has neither.
/// </param>
/// <param name="PolicyFresh">It gives no freshness, and the policy's own <c>Fresh</c> stands in (a heuristic the policy allows).</param>
/// <param name="Age">How old the answer was when it arrived (its <c>Age</c> header).</param>
/// <param name="ForbidsStale"><c>no-cache</c>, <c>must-revalidate</c>, <c>proxy-revalidate</c> or <c>s-maxage</c>: never served stale.</param>
/// <param name="HasValidators">It carries an <c>ETag</c> or <c>Last-Modified</c>, so a stored copy can be revalidated.</param>
internal sealed record HttpCaching(
    string? NotStorable,
    TimeSpan? Fresh,
    bool PolicyFresh,
    TimeSpan Age,
    bool ForbidsStale,
    TimeSpan? StaleWhileRevalidate,
    TimeSpan? StaleIfError,
    bool HasValidators);
