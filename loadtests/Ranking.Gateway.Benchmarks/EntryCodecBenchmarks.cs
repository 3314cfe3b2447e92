using System.Text;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Ranking.Gateway.Caching;
using Ranking.Gateway.Caching.Redis;
using Ranking.Gateway.Http;

namespace Ranking.Gateway.Benchmarks;

/// <summary>
/// What storing an entry's compressed copies with it costs (issue 22: made once for the fleet): encoding a Top-100
/// entry (about 5.4 KB of JSON) with its gzip and br copies made, beside encoding the same bytes as a body that is
/// served uncompressed; decoding both; a first br hit on a decoded entry, which takes the stored copy; and the br
/// compression a reader made before. Each call gets a new body array, so no copy made by an earlier call is reused.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(Short))]
public class EntryCodecBenchmarks
{
    private static readonly DateTimeOffset Generated = DateTimeOffset.FromUnixTimeMilliseconds(1_780_000_000_000);
    private readonly byte[] _json = Encoding.UTF8.GetBytes(
        "{\"groupId\":\"g42\",\"generatedAt\":\"2026-12-07T12:00:00+00:00\",\"entries\":["
        + string.Join(',', Enumerable.Range(1, 100).Select(i => $"{{\"rank\":{i},\"userId\":\"user-{i * 7919 % 100000}\",\"score\":{1_000_000 - (i * 37)}}}"))
        + "]}");

    private byte[] _withCopies = [];
    private byte[] _withoutCopies = [];

    [GlobalSetup]
    public void Setup()
    {
        _withCopies = EntryCodec.Encode(Entry("application/json"));
        _withoutCopies = EntryCodec.Encode(Entry("application/octet-stream"));
    }

    [Benchmark(Baseline = true, Description = "encode, no copies (binary body)")]
    public int EncodeWithout() => EntryCodec.Encode(Entry("application/octet-stream")).Length;

    [Benchmark(Description = "encode with gzip + br copies (JSON)")]
    public int EncodeWith() => EntryCodec.Encode(Entry("application/json")).Length;

    [Benchmark(Description = "decode, no copies")]
    public int DecodeWithout() => EntryCodec.Decode(_withoutCopies).Body.Length;

    [Benchmark(Description = "decode with copies")]
    public int DecodeWith() => EntryCodec.Decode(_withCopies).Body.Length;

    [Benchmark(Description = "decode with copies, then the first br hit takes its copy")]
    public int DecodeWithBrotliHit()
    {
        var entry = EntryCodec.Decode(_withCopies);
        return entry.Memo.Variants.Get(ContentCoding.Brotli).Body.Length;
    }

    [Benchmark(Description = "br copy made by a reader (before: once per instance per load)")]
    public int Brotli() => new CompressedVariants(_json.ToArray(), "\"e\"").Get(ContentCoding.Brotli).Body.Length;

    private CacheEntry Entry(string contentType) =>
        new(200, contentType, _json.ToArray(), "\"e\"", [], Generated, Generated.AddSeconds(60), Generated.AddSeconds(600), Generated.AddSeconds(3600));

    private sealed class Short : ManualConfig
    {
        public Short() =>
            AddJob(Job.Default.WithToolchain(InProcessEmitToolchain.Instance).WithLaunchCount(1).WithWarmupCount(3).WithIterationCount(10));
    }
}
