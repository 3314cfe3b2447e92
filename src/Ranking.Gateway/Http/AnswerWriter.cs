using Microsoft.Net.Http.Headers;
using Ranking.Gateway.Caching;

namespace Ranking.Gateway.Http;

/// <summary>Writes a cached answer with the metadata a person and a k6 check can read.</summary>
internal static class AnswerWriter
{
    public const string StatusHeader = "X-Cache-Status";

    private const string MissStored = EntryHeaders.CacheName + "; fwd=miss; stored";
    private const string Miss = EntryHeaders.CacheName + "; fwd=miss";
    private const string Bypass = EntryHeaders.CacheName + "; fwd=bypass; detail=redis-unavailable";

    /// <summary>
    /// Writes <paramref name="lookup"/> (or <paramref name="representation"/>, a body derived from it), compressed
    /// when the client accepts it and the entry allows it, answering 304 when the client already has this ETag.
    /// </summary>
    /// <param name="downstream">What the answer tells a CDN in front, when its policy says anything (<see cref="Downstream.For"/>).</param>
    public static Task WriteAsync(HttpContext context, CacheLookup lookup, DateTimeOffset now, CompressedVariants? representation = null, Downstream? downstream = null)
    {
        var entry = lookup.Entry;
        var body = representation?.Body ?? entry.Body;
        var etag = representation?.ETag ?? entry.ETag;
        var response = context.Response;
        var headers = response.Headers;
        var stored = entry.Headers;
        for (var i = 0; i < stored.Count; i++)
        {
            headers.Append(stored[i].Key, stored[i].Value);
        }

        if (downstream is { } cdn && lookup.Shareable && lookup.Status != CacheStatus.Bypass)
        {
            cdn.Write(headers, entry, lookup.Status, now);
        }

        var computed = EntryHeaders.Of(entry);
        if (computed.Compressible)
        {
            headers.Append(HeaderNames.Vary, HeaderNames.AcceptEncoding);
            if (AcceptEncoding.Pick(context.Request.Headers.AcceptEncoding) is var coding and not ContentCoding.Identity)
            {
                var variant = (representation ?? entry.Memo.Variants).Get(coding);
                body = variant.Body;
                etag = variant.ETag;
                headers.ContentEncoding = variant.Encoding;
            }
        }

        var stamp = computed.At(now);
        headers[StatusHeader] = CacheStatusNames.Of(lookup.Status);
        headers["Cache-Status"] = lookup.Status switch
        {
            CacheStatus.Fresh or CacheStatus.Stale => stamp.HitStatus,
            CacheStatus.Miss when lookup.Stored => MissStored,
            CacheStatus.Miss => Miss,
            _ => Bypass,
        };
        headers.Age = stamp.Age;
        headers.ETag = etag;
        if (!entry.Flags.HasFlag(EntryFlags.UpstreamHeaders))
        {
            // The gateway is the origin of this answer's caching headers (the ranking endpoint); a proxied answer keeps
            // the upstream's, as stored, and is never made more shareable than it said.
            headers.CacheControl = lookup.Shareable ? computed.CacheControl : "no-store";
        }

        if (IsNotModified(context.Request, entry, etag))
        {
            response.StatusCode = StatusCodes.Status304NotModified;
            return Task.CompletedTask;
        }

        response.StatusCode = entry.StatusCode;
        response.ContentType = entry.ContentType;
        if (entry.StatusCode is StatusCodes.Status204NoContent or StatusCodes.Status304NotModified)
        {
            return Task.CompletedTask;
        }

        var memory = body.AsMemory();
        if (entry.StatusCode == StatusCodes.Status200OK && ByteRange.Of(context.Request, body.Length, etag) is { } range)
        {
            headers.ContentRange = range.ContentRange(body.Length);
            response.StatusCode = range.IsUnsatisfiable ? StatusCodes.Status416RangeNotSatisfiable : StatusCodes.Status206PartialContent;
            memory = range.IsUnsatisfiable ? Memory<byte>.Empty : memory.Slice((int)range.From, (int)range.Length);
        }

        response.ContentLength = memory.Length;
        return HttpMethods.IsHead(context.Request.Method) ? Task.CompletedTask : response.Body.WriteAsync(memory).AsTask();
    }

    // 304 stands in only for what would otherwise be a 2xx (RFC 9110 §13.1.2): never for a cached 404. If-None-Match
    // decides when present, by weak comparison (W/ is ignored; * matches any); otherwise If-Modified-Since against the
    // answer's Last-Modified (RFC 9110 §13.2.2).
    private static bool IsNotModified(HttpRequest request, CacheEntry entry, string etag)
    {
        if (entry.StatusCode is < 200 or > 299 || (!HttpMethods.IsGet(request.Method) && !HttpMethods.IsHead(request.Method)))
        {
            return false;
        }

        var ifNoneMatch = request.Headers.IfNoneMatch;
        if (ifNoneMatch.Count == 0)
        {
            return request.Headers.IfModifiedSince.Count > 0
                && HttpDate.TryParse(request.Headers.IfModifiedSince.ToString(), out var since)
                && HttpDate.TryParse(entry.Header("Last-Modified"), out var lastModified)
                && lastModified <= since;
        }

        foreach (var value in ifNoneMatch)
        {
            var list = value.AsSpan();
            foreach (var range in list.Split(','))
            {
                var tag = list[range].Trim();
                if (tag is "*" || Opaque(tag).SequenceEqual(Opaque(etag)))
                {
                    return true;
                }
            }
        }

        return false;
    }

    private static ReadOnlySpan<char> Opaque(ReadOnlySpan<char> tag) => tag.StartsWith("W/") ? tag[2..] : tag;
}

/// <summary>
/// What a cached answer tells a CDN in front (<see cref="CachePolicy.DownstreamCacheControl"/>, <see cref="CachePolicy.SendTags"/>):
/// how long it may keep it, never longer than the gateway's own remaining freshness, and its tags, so the CDN can be purged
/// by the same names as the gateway. <paramref name="OwnTag"/> is a ranking answer's group.
/// </summary>
internal readonly record struct Downstream(CachePolicy Policy, string? OwnTag)
{
    /// <summary>Null when the policy sends nothing downstream (the default): the hit path does no more.</summary>
    public static Downstream? For(CachePolicy policy, string? ownTag = null) =>
        policy.SendTags || policy.DownstreamCacheControl.Length > 0 ? new Downstream(policy, ownTag) : null;

    public void Write(IHeaderDictionary headers, CacheEntry entry, CacheStatus status, DateTimeOffset now)
    {
        if (Policy.DownstreamCacheControl.Length > 0)
        {
            var remaining = status == CacheStatus.Stale ? 0 : Math.Max(0, (long)Math.Floor((entry.FreshUntil - now).TotalSeconds));
            headers[Policy.DownstreamCacheControl] = "max-age=" + remaining.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        if (Policy.SendTags && (entry.TagList.Count > 0 || OwnTag is not null))
        {
            headers[Policy.TagHeader] = string.Join(' ', OwnTag is null ? entry.TagList : entry.TagList.Prepend(OwnTag));
        }
    }
}
