using System.Buffers;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using Ranking.Gateway.Caching;

namespace Ranking.Gateway.Proxy;

/// <summary>
/// The cache key of a proxied GET: route, scheme and host, path, the allowed query parameters (sorted) and the values of
/// the headers the policy varies by. Also the request a fill sends, which holds what the key holds and, of the client's
/// request, only the headers the policy forwards without keying on them: a client's <c>Authorization</c> reaches the
/// upstream only when the policy varies by it (one entry per credential). The host is in the key because YARP passes it
/// on (<c>X-Forwarded-Host</c>, or <c>Host</c> with <c>RequestHeaderOriginalHost</c>) and an upstream may build links from
/// it: one client's <c>Host</c> must never shape another's answer. The key is written into a buffer and found among the
/// keys made before (<see cref="InternedKeys"/>), so a hit builds no string.
/// </summary>
internal static class ProxyCacheKey
{
    /// <summary>Keys longer than this are not cached: such reads go straight through.</summary>
    public const int KeyLimit = 1024;

    private static readonly ConditionalWeakTable<CachePolicy, string[]> SortedQueryKeys = [];

    /// <returns>
    /// The key, or null when the read is not cached: the key would be longer than <see cref="KeyLimit"/>, or the read has
    /// a query parameter the policy does not list and its <see cref="CachePolicy.UnlistedQuery"/> is <c>Bypass</c>.
    /// </returns>
    public static string? For(string routeId, HttpContext context, CachePolicy policy)
    {
        var request = context.Request;
        if (policy.UnlistedQuery == UnlistedQuery.Bypass && HasUnlistedQuery(request, policy))
        {
            return null;
        }

        var key = new KeyWriter(stackalloc char[KeyLimit]);
        key.Append("proxy:");
        key.Append(routeId);
        key.Append(":");
        key.Append(request.Scheme);
        key.Append("://");
        key.AppendLower(request.Host.Value);
        key.Append(request.PathBase.ToUriComponent());
        key.Append(request.Path.ToUriComponent());
        WriteQuery(ref key, request, policy);
        WriteVaryingHash(ref key, request, policy);
        return key.Overflowed ? null : InternedKeys.Shared.Get(key.Written);
    }

    /// <summary>The request a fill of this key sends through route <paramref name="routeId"/>.</summary>
    public static FillRequest Fill(string routeId, HttpContext context, CachePolicy policy)
    {
        var request = context.Request;
        var query = new KeyWriter(stackalloc char[KeyLimit]);
        WriteQuery(ref query, request, policy);
        return new FillRequest(
            routeId,
            request.Scheme,
            request.Host,
            request.PathBase,
            request.Path,
            new QueryString(query.Written.Length == 0 ? null : query.Written.ToString()),
            FillHeaders(request, policy),
            new Dictionary<string, object?>(request.RouteValues),
            context.Connection.RemoteIpAddress);
    }

    private static bool HasUnlistedQuery(HttpRequest request, CachePolicy policy) =>
        request.QueryString.HasValue && !policy.AllQueryKeys
        && request.Query.Keys.Any(name => !policy.QueryKeys.Contains(name, StringComparer.Ordinal));

    // ?a=1&b=2: the policy's parameters (or, for *, the request's) in name order, each value escaped, values of one name
    // in the order they came.
    private static void WriteQuery(ref KeyWriter key, HttpRequest request, CachePolicy policy)
    {
        if (policy.QueryKeys.Length == 0 || !request.QueryString.HasValue)
        {
            return;
        }

        var names = policy.AllQueryKeys
            ? request.Query.Keys.Order(StringComparer.Ordinal).ToArray()
            : SortedQueryKeys.GetValue(policy, static p => p.QueryKeys.Order(StringComparer.Ordinal).ToArray());
        var first = true;
        foreach (var name in names)
        {
            foreach (var value in request.Query[name])
            {
                key.Append(first ? "?" : "&");
                key.AppendEscaped(name);
                key.Append("=");
                key.AppendEscaped(value);
                first = false;
            }
        }
    }

    // #hex: 8 bytes of SHA-256 over "name:value" lines of the varying headers present (lower-case names, policy order).
    private static void WriteVaryingHash(ref KeyWriter key, HttpRequest request, CachePolicy policy)
    {
        var length = 0;
        foreach (var name in policy.VaryByHeaders)
        {
            if (request.Headers.TryGetValue(name, out var values))
            {
                length += name.Length + 1 + values.ToString().Length + 1;
            }
        }

        if (length == 0)
        {
            return;
        }

        var chars = ArrayPool<char>.Shared.Rent(length);
        var bytes = ArrayPool<byte>.Shared.Rent(Encoding.UTF8.GetMaxByteCount(length));
        try
        {
            var written = 0;
            foreach (var name in policy.VaryByHeaders)
            {
                if (request.Headers.TryGetValue(name, out var values))
                {
                    if (written > 0)
                    {
                        chars[written++] = '\n';
                    }

                    written += name.AsSpan().ToLowerInvariant(chars.AsSpan(written));
                    chars[written++] = ':';
                    var value = values.ToString();
                    value.CopyTo(chars.AsSpan(written));
                    written += value.Length;
                }
            }

            Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
            SHA256.HashData(bytes.AsSpan(0, Encoding.UTF8.GetBytes(chars.AsSpan(0, written), bytes)), hash);
            key.Append("#");
            key.AppendHex(hash[..8]);
        }
        finally
        {
            ArrayPool<char>.Shared.Return(chars);
            ArrayPool<byte>.Shared.Return(bytes);
        }
    }

    // The headers the key varies by, and those the policy forwards without keying on them.
    private static List<KeyValuePair<string, string>> FillHeaders(HttpRequest request, CachePolicy policy)
    {
        var headers = new List<KeyValuePair<string, string>>();
        foreach (var name in policy.VaryByHeaders.Concat(policy.ForwardRequestHeaders))
        {
            if (request.Headers.TryGetValue(name, out var values))
            {
                headers.Add(new(name, values.ToString()));
            }
        }

        return headers;
    }

    /// <summary>Writes into a fixed buffer; past its end, remembers that it overflowed and writes nothing more.</summary>
    private ref struct KeyWriter(Span<char> buffer)
    {
        private readonly Span<char> _buffer = buffer;
        private int _length;

        public bool Overflowed { get; private set; }

        public readonly ReadOnlySpan<char> Written => _buffer[.._length];

        public void Append(scoped ReadOnlySpan<char> text)
        {
            if (!Overflowed && text.TryCopyTo(_buffer[_length..]))
            {
                _length += text.Length;
            }
            else
            {
                Overflowed = true;
            }
        }

        public void AppendLower(scoped ReadOnlySpan<char> text)
        {
            var written = _length + text.Length <= _buffer.Length && !Overflowed ? text.ToLowerInvariant(_buffer[_length..]) : -1;
            Advance(written >= 0, written);
        }

        public void AppendEscaped(scoped ReadOnlySpan<char> text)
        {
            var written = 0;
            Advance(!Overflowed && Uri.TryEscapeDataString(text, _buffer[_length..], out written), written);
        }

        public void AppendHex(scoped ReadOnlySpan<byte> bytes)
        {
            var written = 0;
            Advance(!Overflowed && Convert.TryToHexStringLower(bytes, _buffer[_length..], out written), written);
        }

        private void Advance(bool done, int written)
        {
            if (done)
            {
                _length += written;
            }
            else
            {
                Overflowed = true;
            }
        }
    }
}
