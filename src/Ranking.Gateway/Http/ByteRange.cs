using System.Globalization;
using Microsoft.Net.Http.Headers;

namespace Ranking.Gateway.Http;

/// <summary>
/// A client's <c>Range</c> on a cached 200 (RFC 9110 §14): one byte range is answered 206 from the stored body, one
/// that starts past its end 416; anything else (several ranges, another unit, an <c>If-Range</c> that does not match
/// the stored ETag strongly) gets the whole answer, as the RFC allows.
/// </summary>
internal readonly record struct ByteRange(long From, long To)
{
    public long Length => To - From + 1;

    /// <returns>The range to answer, <see cref="Unsatisfiable"/> for a 416, or null to answer the whole body.</returns>
    public static ByteRange? Of(HttpRequest request, long length, string etag)
    {
        var header = request.Headers.Range;
        if (header.Count != 1 || !HttpMethods.IsGet(request.Method)
            || (request.Headers.IfRange.Count > 0 && (etag.StartsWith("W/", StringComparison.Ordinal) || request.Headers.IfRange.ToString() != etag))
            || !RangeHeaderValue.TryParse(header.ToString(), out var parsed)
            || !parsed.Unit.Equals("bytes", StringComparison.OrdinalIgnoreCase) || parsed.Ranges.Count != 1)
        {
            return null;
        }

        var range = parsed.Ranges.First();
        if (range.From is { } from)
        {
            return from >= length ? Unsatisfiable : new ByteRange(from, Math.Min(range.To ?? length - 1, length - 1));
        }

        // A suffix: the last N bytes.
        return range.To is { } suffix && suffix > 0 && length > 0 ? new ByteRange(Math.Max(0, length - suffix), length - 1) : Unsatisfiable;
    }

    public static ByteRange Unsatisfiable { get; } = new(-1, -2);

    public bool IsUnsatisfiable => From < 0;

    public string ContentRange(long length) => IsUnsatisfiable
        ? string.Create(CultureInfo.InvariantCulture, $"bytes */{length}")
        : string.Create(CultureInfo.InvariantCulture, $"bytes {From}-{To}/{length}");
}
