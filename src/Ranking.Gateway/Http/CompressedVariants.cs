using System.IO.Compression;

namespace Ranking.Gateway.Http;

/// <summary>
/// A cached body (an entry's, kept in its <see cref="Caching.EntryMemo"/>, or a ranking slice's) with its ETag, and its
/// gzip and br copies, each made on its first ask and kept as long as the body lives, so a compressed hit costs no
/// compression. Each has an ETag of its own (RFC 9110 §8.8.3: a
/// different representation), the body's with <c>-gzip</c> or <c>-br</c> added.
/// </summary>
/// <remarks>
/// An entry's copies are made once for the whole fleet: the instance that stores the entry makes them and stores them
/// with it (<see cref="ToStore"/>, <c>EntryCodec</c>), and an instance that read the entry takes them, on its first
/// compressed hit, from what it read (<see cref="Caching.CacheEntry.Copies"/>) instead of compressing. Only a ranking slice's
/// copies are still made by each instance that serves one.
/// </remarks>
internal sealed class CompressedVariants
{
    private const int BrotliQuality = 6;
    private const int BrotliWindow = 22;

    private static long _made;

    private readonly Lock _gate = new();
    private readonly IReadOnlyList<(string Encoding, byte[] Bytes)>? _stored;
    private Variant? _gzip;
    private Variant? _brotli;

    /// <param name="etag">The ETag of <paramref name="body"/>.</param>
    /// <param name="stored">The copies the entry was read with (taken instead of compressing), if they are of this very body.</param>
    public CompressedVariants(byte[] body, string etag, CompressedCopies? stored = null)
    {
        Body = body;
        ETag = etag;
        _stored = stored is not null && ReferenceEquals(stored.Of, body) ? stored.List : null;
    }

    /// <summary>The body as it is, uncompressed.</summary>
    public byte[] Body { get; }

    public string ETag { get; }

    /// <summary>The body's copy in <paramref name="coding"/> (gzip or br).</summary>
    public Variant Get(ContentCoding coding) => coding == ContentCoding.Brotli
        ? _brotli ?? Make(ref _brotli, Brotli, "br")
        : _gzip ?? Make(ref _gzip, Gzip, "gzip");

    /// <summary>Compressions this process has made (for tests: a copy read from Redis is not one).</summary>
    public static long Made => Interlocked.Read(ref _made);

    /// <summary>
    /// The copies to store with <paramref name="entry"/>: gzip and br (made now, unless this instance has them) when its
    /// answers are served compressed (<see cref="EntryHeaders.Compressible"/>), otherwise none.
    /// </summary>
    public static IReadOnlyList<Variant> ToStore(Caching.CacheEntry entry) =>
        EntryHeaders.Of(entry).Compressible ? [entry.Memo.Variants.Get(ContentCoding.Gzip), entry.Memo.Variants.Get(ContentCoding.Brotli)] : [];

    // Once per body and coding, the stored copy if there is one, else compressed: the hits that arrive together after a
    // refresh wait for one compression, not each do it.
    private Variant Make(ref Variant? variant, Func<byte[], byte[]> compress, string coding)
    {
        lock (_gate)
        {
            if (variant is null)
            {
                var bytes = _stored?.FirstOrDefault(c => c.Encoding == coding).Bytes;
                if (bytes is null)
                {
                    Interlocked.Increment(ref _made);
                    bytes = compress(Body);
                }

                variant = new Variant(bytes, Tagged(ETag, coding), coding);
            }

            return variant;
        }
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
