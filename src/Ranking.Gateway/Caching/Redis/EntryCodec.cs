namespace Ranking.Gateway.Caching.Redis;

/// <summary>
/// The binary envelope an entry is stored in. A version byte leads so the format can change: version 2 added the
/// origin's duration at the end, version 3 the initial age, the keep-until time and the flags after it, version 4 the
/// tags after the headers; entries of the versions before still read, with zeros for what they lack.
/// </summary>
internal static class EntryCodec
{
    private const byte Version = 4;

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
            if (version is not (1 or 2 or 3 or Version))
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
            if (length < 0 || length != data.Length - reader.BaseStream.Position - trailer)
            {
                throw new InvalidDataException("Body length does not match the envelope.");
            }

            var body = reader.ReadBytes(length);
            var duration = version == 1 ? TimeSpan.Zero : TimeSpan.FromTicks(reader.ReadInt64());
            var initialAge = version < 3 ? TimeSpan.Zero : TimeSpan.FromTicks(reader.ReadInt64());
            var keepUntil = version < 3 ? default : ReadTime(reader);
            var flags = version < 3 ? EntryFlags.None : (EntryFlags)reader.ReadByte();
            if (status is < 100 or > 599 || freshUntil < generatedAt || staleUntil < freshUntil || duration < TimeSpan.Zero || initialAge < TimeSpan.Zero)
            {
                throw new InvalidDataException("Entry fields are out of range.");
            }

            return new CacheEntry(status, contentType, body, etag, headers, generatedAt, freshUntil, staleUntil, errorUntil, duration, initialAge, keepUntil, flags, tagCount == 0 ? null : tags);
        }
        catch (Exception ex) when (ex is EndOfStreamException or IOException or ArgumentException or FormatException)
        {
            throw new InvalidDataException("Entry is truncated or malformed.", ex);
        }
    }

    private static DateTimeOffset ReadTime(BinaryReader reader) =>
        DateTimeOffset.FromUnixTimeMilliseconds(reader.ReadInt64());
}
