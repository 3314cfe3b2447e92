using Ranking.Gateway.Caching;
using Ranking.Gateway.Caching.Redis;
using Ranking.Gateway.Http;

namespace Ranking.Gateway.Tests.Caching;

public sealed class EntryCodecTests
{
    private static readonly DateTimeOffset Generated = DateTimeOffset.FromUnixTimeMilliseconds(1_780_000_000_000);

    [Fact]
    public void An_entry_round_trips_with_its_origin_duration()
    {
        var entry = new CacheEntry(200, "application/json", [1, 2, 3], "\"e\"", [new("Vary", "Accept")], Generated, Generated.AddSeconds(60), Generated.AddSeconds(600), Generated.AddSeconds(3600), TimeSpan.FromMilliseconds(42));

        var decoded = EntryCodec.Decode(EntryCodec.Encode(entry));

        Assert.Equal(entry.Duration, decoded.Duration);
        Assert.Equal((entry.StatusCode, entry.ETag, entry.GeneratedAt, entry.ErrorUntil), (decoded.StatusCode, decoded.ETag, decoded.GeneratedAt, decoded.ErrorUntil));
        Assert.Equal(entry.Body, decoded.Body);
    }

    [Fact]
    public void Tags_round_trip_and_a_soft_purge_mark_is_never_written_into_the_envelope()
    {
        var entry = new CacheEntry(200, "application/json", [1, 2, 3], "\"e\"", [], Generated, Generated.AddSeconds(60), Generated.AddSeconds(600), Generated.AddSeconds(3600), Flags: EntryFlags.UpstreamHeaders | EntryFlags.Purged, Tags: ["season-1", "board-a"]);

        var decoded = EntryCodec.Decode(EntryCodec.Encode(entry));

        Assert.Equal(["season-1", "board-a"], decoded.TagList);
        Assert.Equal(EntryFlags.UpstreamHeaders, decoded.Flags);
        Assert.Empty(EntryCodec.Decode(EntryCodec.Encode(entry with { Tags = null })).TagList);
    }

    [Theory]
    [InlineData("season-1 board-a,board-b", "season-1|board-a|board-b")]
    [InlineData(" a  a,,b ", "a|b")]
    [InlineData("ok bad\u00e9tag", "ok")]
    [InlineData("", "")]
    public void Tag_lists_split_on_spaces_and_commas_and_leave_out_what_is_not_a_tag(string list, string expected)
    {
        Assert.Equal(expected, string.Join('|', EntryTags.Parse([list])));
    }

    [Fact]
    public void An_entry_has_at_most_the_maximum_number_of_tags()
    {
        Assert.Equal(EntryTags.MaxTags, EntryTags.Parse([string.Join(' ', Enumerable.Range(0, 100).Select(i => $"t{i}")), "more"]).Count);
        Assert.Empty(EntryTags.Parse([new string('x', EntryTags.MaxLength + 1)]));
    }

    [Fact]
    public void A_text_entry_is_stored_with_its_gzip_and_br_copies_and_a_reader_takes_them_instead_of_compressing()
    {
        var body = System.Text.Encoding.UTF8.GetBytes(string.Concat(Enumerable.Range(1, 100).Select(i => $"{{\"rank\":{i},\"userId\":\"u{i}\"}},")));
        var entry = new CacheEntry(200, "application/json", body, "\"t\"", [], Generated, Generated.AddSeconds(60), Generated.AddSeconds(600), Generated.AddSeconds(3600));
        var envelope = EntryCodec.Encode(entry);

        // The copies ride at the end of the envelope: "gzip" and "br", each with its length.
        var decoded = EntryCodec.Decode(envelope);
        Assert.True(envelope.Length > body.Length + 100, $"{envelope.Length} bytes for a {body.Length}-byte body");
        var gzip = decoded.Memo.Variants.Get(ContentCoding.Gzip);
        Assert.Equal(new CompressedVariants(body, entry.ETag).Get(ContentCoding.Gzip).Body, gzip.Body);
        Assert.Equal("\"t-gzip\"", gzip.ETag);

        // What is read is what is served: a copy that is not what this instance would make shows it was taken, not made.
        var copy = new CompressedVariants(body, entry.ETag).Get(ContentCoding.Brotli).Body;
        var at = envelope.AsSpan().LastIndexOf(copy);
        Assert.True(at > 0);
        var altered = envelope.ToArray();
        altered[at + copy.Length - 1] ^= 0xFF;
        var read = EntryCodec.Decode(altered);
        Assert.Equal(altered[at..(at + copy.Length)], read.Memo.Variants.Get(ContentCoding.Brotli).Body);
        Assert.Null(EntryCodec.Decode(EntryCodec.Encode(entry with { ContentType = "application/octet-stream" })).Copies);
    }

    [Fact]
    public void A_version_4_entry_still_reads_and_a_small_or_binary_body_is_stored_without_copies()
    {
        var entry = new CacheEntry(200, "application/octet-stream", new byte[1000], "\"b\"", [], Generated, Generated.AddSeconds(60), Generated.AddSeconds(600), Generated.AddSeconds(3600));
        var envelope = EntryCodec.Encode(entry);
        Assert.Equal(0, envelope[^1]);

        // Version 4 was version 5 without the copy count at the end.
        var version4 = envelope[..^1];
        version4[0] = 4;
        Assert.Equal(entry.Body, EntryCodec.Decode(version4).Body);
        Assert.Throws<InvalidDataException>(() => EntryCodec.Decode([.. envelope, 0]));
    }

    [Fact]
    public void An_entry_written_before_durations_were_recorded_still_reads_with_none()
    {
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream))
        {
            writer.Write((byte)1);
            writer.Write(200);
            writer.Write("application/json");
            writer.Write("\"e\"");
            foreach (var seconds in new[] { 0, 60, 600, 3600 })
            {
                writer.Write(Generated.AddSeconds(seconds).ToUnixTimeMilliseconds());
            }

            writer.Write(0);
            writer.Write(3);
            writer.Write(new byte[] { 1, 2, 3 });
        }

        var decoded = EntryCodec.Decode(stream.ToArray());

        Assert.Equal(TimeSpan.Zero, decoded.Duration);
        Assert.Equal(new byte[] { 1, 2, 3 }, decoded.Body);
        Assert.Equal(Generated.AddSeconds(60), decoded.FreshUntil);
    }

    [Fact]
    public void A_version_2_entry_cut_short_is_rejected()
    {
        var entry = new CacheEntry(200, "text/plain", [9], "\"e\"", [], Generated, Generated, Generated, Generated, TimeSpan.FromSeconds(1));
        var bytes = EntryCodec.Encode(entry);

        Assert.Throws<InvalidDataException>(() => EntryCodec.Decode(bytes[..^3]));
    }

    [Fact]
    public void Headers_content_type_and_every_lifetime_round_trip()
    {
        var entry = new CacheEntry(404, "application/problem+json", [7], "\"n\"", [new("Vary", "Accept-Language"), new("X-Id", "ünïcode")], Generated, Generated.AddSeconds(5), Generated.AddSeconds(5), Generated.AddSeconds(5));

        var decoded = EntryCodec.Decode(EntryCodec.Encode(entry));

        Assert.Equal(entry.Headers, decoded.Headers);
        Assert.Equal((entry.ContentType, entry.FreshUntil, entry.StaleUntil), (decoded.ContentType, decoded.FreshUntil, decoded.StaleUntil));
    }

    [Fact]
    public void An_unknown_version_is_rejected()
    {
        var bytes = EntryCodec.Encode(new CacheEntry(200, "text/plain", [9], "\"e\"", [], Generated, Generated, Generated, Generated));
        bytes[0] = 9;

        Assert.Throws<InvalidDataException>(() => EntryCodec.Decode(bytes));
    }

    [Fact]
    public void A_body_longer_than_the_envelope_says_is_rejected()
    {
        var bytes = EntryCodec.Encode(new CacheEntry(200, "text/plain", [9], "\"e\"", [], Generated, Generated, Generated, Generated));

        Assert.Throws<InvalidDataException>(() => EntryCodec.Decode([.. bytes, 0]));
    }

    [Fact]
    public void Lifetimes_out_of_order_are_rejected()
    {
        var bytes = EntryCodec.Encode(new CacheEntry(200, "text/plain", [9], "\"e\"", [], Generated, Generated.AddSeconds(60), Generated, Generated));

        Assert.Throws<InvalidDataException>(() => EntryCodec.Decode(bytes));
    }
}
