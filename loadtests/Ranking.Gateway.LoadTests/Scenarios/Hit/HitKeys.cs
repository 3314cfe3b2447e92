using Ranking.Gateway.LoadTests.Load;

namespace Ranking.Gateway.LoadTests.Scenarios.Hit;

/// <summary>
/// The keys a hit target is asked for: group k (1..<paramref name="count"/>) at <paramref name="uri"/>(k), drawn
/// uniformly, or Zipf-skewed with exponent <paramref name="zipf"/> above 0 (key 1 the hottest).
/// </summary>
internal sealed class HitKeys(int count, double zipf, Func<int, Uri> uri)
{
    private readonly Uri[] _uris = [.. Enumerable.Range(1, count).Select(uri)];
    private readonly ZipfSampler? _skew = zipf > 0 ? new ZipfSampler(count, zipf) : null;

    public IReadOnlyList<Uri> All => _uris;

    public (Uri Uri, int Group) Next(Random random)
    {
        var key = _skew?.Next(random.NextDouble()) ?? random.Next(1, _uris.Length + 1);
        return (_uris[key - 1], key);
    }
}
