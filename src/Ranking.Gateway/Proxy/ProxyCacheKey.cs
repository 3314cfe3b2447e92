using System.Buffers;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using Ranking.Gateway.Caching;

namespace Ranking.Gateway.Proxy;

/// <summary>
/// The cache key of a proxied GET: route, path, the allowed query parameters (sorted) and the values of the headers the
/// policy varies by. Also the request a fill sends, which holds exactly what the key holds and nothing else of the
/// client's: a client's <c>Authorization</c> reaches the upstream only when the policy varies by it (one entry per
/// credential). The key is written into a buffer and found among the keys made before (<see cref="InternedKeys"/>), so a
/// hit builds no string.
/// </summary>
internal static class ProxyCacheKey
{
    /// <summary>Keys longer than this are not cached: such reads go straight through.</summary>
    public const int KeyLimit = 1024;

    private static readonly ConditionalWeakTable<CachePolicy, string[]> SortedQueryKeys = [];

    /// <returns>The key, or null when it would be longer than <see cref="KeyLimit"/>.</returns>
    public static string? For(string routeId, HttpContext context, CachePolicy policy)
    {
        var request = context.Request;
        var key = new KeyWriter(stackalloc char[KeyLimit]);
        key.Append("proxy:");
        key.Append(routeId);
        key.Append(":");
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
            VaryingHeaders(request, policy),
            new Dictionary<string, object?>(request.RouteValues),
            context.Connection.RemoteIpAddress);
    }

    // ?a=1&b=2: the policy's parameters in name order, each value escaped.
    private static void WriteQuery(ref KeyWriter key, HttpRequest request, CachePolicy policy)
    {
        if (policy.QueryKeys.Length == 0 || !request.QueryString.HasValue)
        {
            return;
        }

        var first = true;
        foreach (var name in SortedQueryKeys.GetValue(policy, static p => p.QueryKeys.Order(StringComparer.Ordinal).ToArray()))
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

    private static List<KeyValuePair<string, string>> VaryingHeaders(HttpRequest request, CachePolicy policy)
    {
        var headers = new List<KeyValuePair<string, string>>();
        foreach (var name in policy.VaryByHeaders)
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
