using System.IO.Compression;
using System.Runtime.CompilerServices;

namespace Ranking.Gateway.Http;

/// <summary>
/// The gzip and br copies of a cached body (an entry's, or a ranking slice's), each made on its first ask and kept as
/// long as the body lives, so a compressed hit costs no compression. Each has an ETag of its own (RFC 9110 §8.8.3: a
/// different representation), the body's with <c>-gzip</c> or <c>-br</c> added.
/// </summary>
/// <remarks>
/// An entry's copies are made once for the whole fleet: the instance that stores the entry makes them and stores them
/// with it (<see cref="ToStore"/>, <c>EntryCodec</c>), and an instance that read the entry takes them, on its first
/// compressed hit, from what it read (<see cref="CompressedCopies"/>) instead of compressing. Only a ranking slice's
/// copies are still made by each instance that serves one.
/// </remarks>
internal sealed class CompressedVariants
{
    private const int BrotliQuality = 6;
    private const int BrotliWindow = 22;

    private static readonly ConditionalWeakTable<byte[], CompressedVariants> Table = [];
    private static long _made;

    private readonly byte[] _body;
    private readonly string _etag;
    private readonly Lock _gate = new();
    private Variant? _gzip;
    private Variant? _brotli;

    private CompressedVariants(byte[] body, string etag)
    {
        _body = body;
        _etag = etag;
    }

    /// <param name="etag">The ETag of <paramref name="body"/> (always the same for one body).</param>
    /// <param name="stored">The copies read with the entry, taken if they are of this very body.</param>
    public static Variant Of(byte[] body, string etag, ContentCoding coding, CompressedCopies? stored = null)
    {
        var variants = Table.TryGetValue(body, out var found) ? found : Add(body, etag);
        if (stored is not null && ReferenceEquals(stored.Of, body))
        {
            variants.Adopt(stored.List);
        }

        return coding == ContentCoding.Brotli
            ? variants._brotli ?? variants.Make(ref variants._brotli, Brotli, "br")
            : variants._gzip ?? variants.Make(ref variants._gzip, Gzip, "gzip");
    }

    /// <summary>Compressions this process has made (for tests: a copy read from Redis is not one).</summary>
    public static long Made => Interlocked.Read(ref _made);

    /// <summary>
    /// The copies to store with <paramref name="entry"/>: gzip and br (made now, unless this instance has them) when its
    /// answers are served compressed (<see cref="EntryHeaders.Compressible"/>), otherwise none.
    /// </summary>
    public static IReadOnlyList<Variant> ToStore(Caching.CacheEntry entry) =>
        EntryHeaders.Of(entry).Compressible ? [Of(entry.Body, entry.ETag, ContentCoding.Gzip), Of(entry.Body, entry.ETag, ContentCoding.Brotli)] : [];

    // Takes the copies an entry was stored with, where this instance has none yet.
    private void Adopt(IReadOnlyList<(string Encoding, byte[] Bytes)> copies)
    {
        if (_gzip is not null && _brotli is not null)
        {
            return;
        }

        lock (_gate)
        {
            foreach (var (encoding, bytes) in copies)
            {
                var variant = new Variant(bytes, Tagged(_etag, encoding), encoding);
                _ = encoding == "br" ? _brotli ??= variant : _gzip ??= variant;
            }
        }
    }

    // Once per body and coding: the hits that arrive together after a refresh wait for one compression, not each do it.
    private Variant Make(ref Variant? variant, Func<byte[], byte[]> compress, string coding)
    {
        lock (_gate)
        {
            if (variant is null)
            {
                Interlocked.Increment(ref _made);
                variant = new Variant(compress(_body), Tagged(_etag, coding), coding);
            }

            return variant;
        }
    }

    private static CompressedVariants Add(byte[] body, string etag)
    {
        var created = new CompressedVariants(body, etag);
        return Table.GetValue(body, _ => created);
    }

    private static string Tagged(string etag, string coding) => etag.EndsWith('"') ? etag.Insert(etag.Length - 1, "-" + coding) : etag + "-" + coding;

    private static byte[] Brotli(byte[] body)
    {
        var buffer = new byte[BrotliEncoder.GetMaxCompressedLength(body.Length)];
        return BrotliEncoder.TryCompress(body, buffer, out var written, BrotliQuality, BrotliWindow)
            ? buffer[..written]
            : throw new InvalidOperationException("Brotli could not compress a cached body.");
    }

    private static byte[] Gzip(byte[] body)
    {
        using var compressed = new MemoryStream();
        using (var gzip = new GZipStream(compressed, CompressionLevel.Optimal, leaveOpen: true))
        {
            gzip.Write(body);
        }

        return compressed.ToArray();
    }

    /// <summary>One compressed copy: its bytes, its ETag and its <c>Content-Encoding</c>.</summary>
    internal sealed record Variant(byte[] Body, string ETag, string Encoding);
}

/// <summary>The compressed copies an entry was read with (<c>EntryCodec</c>), of the body <paramref name="Of"/>: encoding and bytes.</summary>
internal sealed record CompressedCopies(byte[] Of, IReadOnlyList<(string Encoding, byte[] Bytes)> List);
