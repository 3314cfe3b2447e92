using System.Globalization;
using Microsoft.Net.Http.Headers;
using Ranking.Gateway.Caching;

namespace Ranking.Gateway.Http;

/// <summary>Writes a cached answer with the metadata a person and a k6 check can read.</summary>
internal static class AnswerWriter
{
    public const string StatusHeader = "X-Cache-Status";
    private const string CacheName = "Ranking.Gateway";

    /// <summary>
    /// Writes <paramref name="lookup"/> (or <paramref name="body"/>/<paramref name="etag"/> derived from it),
    /// answering 304 when the client already has this ETag.
    /// </summary>
    public static Task WriteAsync(HttpContext context, CacheLookup lookup, DateTimeOffset now, byte[]? body = null, string? etag = null)
    {
        var entry = lookup.Entry;
        body ??= entry.Body;
        etag ??= entry.ETag;
        var response = context.Response;
        var headers = response.Headers;
        foreach (var (name, value) in entry.Headers)
        {
            headers.Append(name, value);
        }

        Set(context, lookup, now, etag);
        if (IsNotModified(context.Request, entry.StatusCode, etag))
        {
            response.StatusCode = StatusCodes.Status304NotModified;
            return Task.CompletedTask;
        }

        response.StatusCode = entry.StatusCode;
        response.ContentType = entry.ContentType;
        response.ContentLength = body.Length;
        return HttpMethods.IsHead(context.Request.Method) ? Task.CompletedTask : response.Body.WriteAsync(body).AsTask();
    }

    /// <summary>Sets X-Cache-Status, Cache-Status (RFC 9211), Age, ETag and Cache-Control.</summary>
    public static void Set(HttpContext context, CacheLookup lookup, DateTimeOffset now, string etag)
    {
        var entry = lookup.Entry;
        var headers = context.Response.Headers;
        var age = Seconds(now - entry.GeneratedAt);
        var ttl = Seconds(entry.FreshUntil - now);
        headers[StatusHeader] = lookup.Status.ToString().ToUpperInvariant();
        headers["Cache-Status"] = lookup.Status switch
        {
            CacheStatus.Fresh or CacheStatus.Stale => $"{CacheName}; hit; ttl={ttl}",
            CacheStatus.Miss when lookup.Stored => $"{CacheName}; fwd=miss; stored",
            CacheStatus.Miss => $"{CacheName}; fwd=miss",
            _ => $"{CacheName}; fwd=bypass; detail=redis-unavailable",
        };
        headers.Age = Math.Max(0, age).ToString(CultureInfo.InvariantCulture);
        headers.ETag = etag;
        var maxAge = Seconds(entry.FreshUntil - entry.GeneratedAt);
        headers.CacheControl = !lookup.Shareable ? "no-store"
            : entry.StaleUntil > entry.FreshUntil
                ? $"public, max-age={maxAge}, stale-while-revalidate={Seconds(entry.StaleUntil - entry.FreshUntil)}, stale-if-error={Seconds(entry.ErrorUntil - entry.FreshUntil)}"
                : $"public, max-age={maxAge}";
    }

    // 304 stands in only for what would otherwise be a 2xx (RFC 9110 §13.1.2): never for a cached 404.
    private static bool IsNotModified(HttpRequest request, int status, string etag)
    {
        if (status is < 200 or > 299 || (!HttpMethods.IsGet(request.Method) && !HttpMethods.IsHead(request.Method)))
        {
            return false;
        }

        var ifNoneMatch = request.GetTypedHeaders().IfNoneMatch;
        var current = new EntityTagHeaderValue(etag);
        return ifNoneMatch.Any(tag => tag.Equals(EntityTagHeaderValue.Any) || tag.Compare(current, useStrongComparison: false));
    }

    private static long Seconds(TimeSpan span) => (long)Math.Floor(span.TotalSeconds);
}
