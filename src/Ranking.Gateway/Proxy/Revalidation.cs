using Ranking.Gateway.Caching;

namespace Ranking.Gateway.Proxy;

/// <summary>
/// A stored answer revalidated with its upstream instead of fetched whole (RFC 9111 §4.3): the fill carries the
/// answer's validators, and a 304 updates the stored answer's headers and lifetimes while its body stays as it is.
/// </summary>
internal static class Revalidation
{
    // Headers a 304 does not change in the stored answer: those that describe the stored bytes themselves (RFC 9111 §3.2
    // names Content-Length; the same holds for their coding, range and digest), and Vary, which the key already fixed.
    private static readonly HashSet<string> KeptFromStored = new(StringComparer.OrdinalIgnoreCase)
    {
        "Content-Length", "Content-Encoding", "Content-Range", "Content-MD5", "Vary",
    };

    /// <summary>
    /// The fill with <paramref name="stored"/>'s validators: <c>If-None-Match</c> with the upstream's own <c>ETag</c>
    /// (never one the gateway made), <c>If-Modified-Since</c> with its <c>Last-Modified</c>. Unchanged when it has neither.
    /// </summary>
    public static FillRequest Conditional(FillRequest fill, CacheEntry stored)
    {
        if (stored.StatusCode is < 200 or > 299)
        {
            return fill;
        }

        var headers = new List<KeyValuePair<string, string>>(fill.Headers);
        if (stored.Flags.HasFlag(EntryFlags.UpstreamETag))
        {
            headers.Add(new("If-None-Match", stored.ETag));
        }

        if (stored.Header("Last-Modified") is { } lastModified)
        {
            headers.Add(new("If-Modified-Since", lastModified));
        }

        return headers.Count == fill.Headers.Count ? fill : fill with { Headers = headers };
    }

    /// <summary>
    /// The stored answer updated by the 304: each header the 304 sends (its Content-Type too) replaces the stored lines of
    /// that name, except those that describe the stored bytes; its lifetimes are read again from the headers that result.
    /// </summary>
    public static OriginResponse Merge(CacheEntry stored, OriginResponse notModified, CachePolicy policy, bool carriesCredentials, DateTimeOffset receivedAt)
    {
        var sent = notModified.Headers.Where(h => !KeptFromStored.Contains(h.Key)).ToList();
        var headers = stored.Headers.Where(h => !sent.Any(n => n.Key.Equals(h.Key, StringComparison.OrdinalIgnoreCase))).Concat(sent).ToList();
        var merged = stored with { Headers = headers };
        var caching = UpstreamCaching.Read(stored.StatusCode, merged.Header, policy, carriesCredentials, stored.Body.Length, headers.Count, receivedAt);
        var contentType = notModified.ContentType.Length > 0 ? notModified.ContentType : stored.ContentType;
        return new OriginResponse(stored.StatusCode, contentType, stored.Body, headers, Storable: caching.NotStorable is null)
        {
            Caching = caching,
            ETag = stored.Flags.HasFlag(EntryFlags.UpstreamETag) ? stored.ETag : null,
            Revalidated = true,
            // Over-purging is safe, under-purging is not: the stored answer's tags and any the 304 names.
            Tags = EntryTags.Parse([.. stored.TagList, .. notModified.Tags]),
        };
    }
}
