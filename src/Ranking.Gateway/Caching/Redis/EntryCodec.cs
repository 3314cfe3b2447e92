using Ranking.Gateway.Http;

namespace Ranking.Gateway.Caching.Redis;

/// <summary>
/// The binary envelope an entry is stored in. A version byte leads so the format can change: version 2 added the
/// origin's duration at the end, version 3 the initial age, the keep-until time and the flags after it, version 4 the
/// tags after the headers, version 5 the body's compressed copies at the end (<see cref="CompressedVariants"/>: made
/// once, by the instance that stores the entry); entries of the versions before still read, with zeros for what they
/// lack. A gateway older than a version cannot read it: during a rolling upgrade, old instances take the new entries for
/// misses (and the new ones read the old).
/// </summary>
internal static class EntryCodec
{
    private const byte Version = 5;
    private const int MaxCopies = 2;

    public static byte[] Encode(CacheEntry entry)
    {
        using var stream = new MemoryStream(entry.Body.Length + 256);
        using var writer = new BinaryWriter(stream);
        writer.Write(Version);
        writer.Write(entry.StatusCode);
        writer.Write(entry.ContentType);
        writer.Write(entry.ETag);
        writer.Write(entry.GeneratedAt.ToUnixTimeMilliseconds());
        writer.Write(entry.FreshUntil.ToUnixTimeMilliseconds());
        writer.Write(entry.StaleUntil.ToUnixTimeMilliseconds());
        writer.Write(entry.ErrorUntil.ToUnixTimeMilliseconds());
        writer.Write(entry.Headers.Count);
        foreach (var (name, value) in entry.Headers)
        {
            writer.Write(name);
            writer.Write(value);
        }

        writer.Write(entry.TagList.Count);
        foreach (var tag in entry.TagList)
        {
            writer.Write(tag);
        }

        writer.Write(entry.Body.Length);
        writer.Write(entry.Body);
        writer.Write(entry.Duration.Ticks);
        writer.Write(entry.InitialAge.Ticks);
        writer.Write(entry.KeepUntil.ToUnixTimeMilliseconds());
        writer.Write((byte)(entry.Flags & ~EntryFlags.Purged)); // a soft purge lives in Redis beside the envelope, never in it
        var copies = CompressedVariants.ToStore(entry);
        writer.Write((byte)copies.Count);
        foreach (var copy in copies)
        {
            writer.Write(copy.Encoding);
            writer.Write(copy.Body.Length);
            writer.Write(copy.Body);
        }

        writer.Flush();
        return stream.ToArray();
    }

    /// <exception cref="InvalidDataException">The bytes are not an entry this version can read.</exception>
    public static CacheEntry Decode(byte[] data)
    {
        try
        {
            using var reader = new BinaryReader(new MemoryStream(data, writable: false));
            var version = reader.ReadByte();
            if (version is not (1 or 2 or 3 or 4 or Version))
            {
                throw new InvalidDataException($"Unknown entry version {version}.");
            }

            var status = reader.ReadInt32();
            var contentType = reader.ReadString();
            var etag = reader.ReadString();
            var generatedAt = ReadTime(reader);
            var freshUntil = ReadTime(reader);
            var staleUntil = ReadTime(reader);
            var errorUntil = ReadTime(reader);
            var headerCount = reader.ReadInt32();
            if (headerCount is < 0 or > 64)
            {
                throw new InvalidDataException($"Implausible header count {headerCount}.");
            }

            var headers = new KeyValuePair<string, string>[headerCount];
            for (var i = 0; i < headerCount; i++)
            {
                headers[i] = new(reader.ReadString(), reader.ReadString());
            }

            var tagCount = version < 4 ? 0 : reader.ReadInt32();
            if (tagCount is < 0 or > EntryTags.MaxTags)
            {
                throw new InvalidDataException($"Implausible tag count {tagCount}.");
            }

            var tags = new string[tagCount];
            for (var i = 0; i < tagCount; i++)
            {
                tags[i] = reader.ReadString();
            }

            var length = reader.ReadInt32();
            var trailer = version switch
            {
                1 => 0,
                2 => sizeof(long),
                _ => (3 * sizeof(long)) + 1,
            };
            if (length < 0 || (version < 5 ? length != data.Length - reader.BaseStream.Position - trailer : length > data.Length - reader.BaseStream.Position - trailer - 1))
            {
                throw new InvalidDataException("Body length does not match the envelope.");
            }

            var body = reader.ReadBytes(length);
            var duration = version == 1 ? TimeSpan.Zero : TimeSpan.FromTicks(reader.ReadInt64());
            var initialAge = version < 3 ? TimeSpan.Zero : TimeSpan.FromTicks(reader.ReadInt64());
            var keepUntil = version < 3 ? default : ReadTime(reader);
            var flags = version < 3 ? EntryFlags.None : (EntryFlags)reader.ReadByte();
            var copies = version < 5 ? Array.Empty<(string, byte[])>() : ReadCopies(reader, data.Length);
            if (status is < 100 or > 599 || freshUntil < generatedAt || staleUntil < freshUntil || duration < TimeSpan.Zero || initialAge < TimeSpan.Zero)
            {
                throw new InvalidDataException("Entry fields are out of range.");
            }

            return new CacheEntry(status, contentType, body, etag, headers, generatedAt, freshUntil, staleUntil, errorUntil, duration, initialAge, keepUntil, flags, tagCount == 0 ? null : tags)
            {
                Copies = copies.Length == 0 ? null : new CompressedCopies(body, copies),
            };
        }
        catch (Exception ex) when (ex is EndOfStreamException or IOException or ArgumentException or FormatException)
        {
            throw new InvalidDataException("Entry is truncated or malformed.", ex);
        }
    }

    private static (string Encoding, byte[] Bytes)[] ReadCopies(BinaryReader reader, int total)
    {
        var count = reader.ReadByte();
        if (count > MaxCopies)
        {
            throw new InvalidDataException($"Implausible compressed copy count {count}.");
        }

        var copies = new (string, byte[])[count];
        for (var i = 0; i < count; i++)
        {
            var encoding = reader.ReadString();
            var length = reader.ReadInt32();
            if (encoding is not ("gzip" or "br") || length < 0 || length > total - reader.BaseStream.Position)
            {
                throw new InvalidDataException("Compressed copy does not match the envelope.");
            }

            copies[i] = (encoding, reader.ReadBytes(length));
        }

        if (reader.BaseStream.Position != total)
        {
            throw new InvalidDataException("Bytes left after the envelope.");
        }

        return copies;
    }

    private static DateTimeOffset ReadTime(BinaryReader reader) =>
        DateTimeOffset.FromUnixTimeMilliseconds(reader.ReadInt64());
}
