namespace Ranking.Gateway.Ranking;

/// <summary>
/// A Bloom filter over group ids: <see cref="MayContain"/> false is certain, true is wrong for about
/// <c>falsePositiveRate</c> of ids never added, while no more than the expected count were added (more raise it:
/// <see cref="FalsePositiveRate"/> says by how much). About 1.2 bytes a
/// group at 1%, whatever the ids' length. Adds and lookups may run at once (bits are only ever set, atomically).
/// </summary>
internal sealed class GroupFilter
{
    private readonly ulong[] _bits;
    private readonly int _hashes;

    public GroupFilter(long expected, double falsePositiveRate)
    {
        Expected = Math.Max(expected, 1024);
        var bits = Math.Ceiling(-Expected * Math.Log(falsePositiveRate) / (Math.Log(2) * Math.Log(2)));
        _bits = new ulong[(long)Math.Ceiling(bits / 64)];
        _hashes = Math.Clamp((int)Math.Round(_bits.LongLength * 64 / (double)Expected * Math.Log(2)), 1, 16);
    }

    /// <summary>The count it was sized for: past it, false positives grow.</summary>
    public long Expected { get; }

    /// <summary>Its memory, in bytes.</summary>
    public long Bytes => _bits.LongLength * sizeof(ulong);

    /// <summary>The share of never-added ids it says "maybe" to, from the bits set now (reads every bit: not for a hot path).</summary>
    public double FalsePositiveRate()
    {
        var set = 0L;
        foreach (var word in _bits)
        {
            set += (long)ulong.PopCount(word);
        }

        return Math.Pow(set / (_bits.LongLength * 64.0), _hashes);
    }

    public void Add(string id)
    {
        var (h1, h2) = Hash(id);
        var size = (ulong)_bits.LongLength * 64;
        for (var i = 0UL; i < (ulong)_hashes; i++)
        {
            var bit = (h1 + (i * h2)) % size;
            Interlocked.Or(ref _bits[bit / 64], 1UL << (int)(bit % 64));
        }
    }

    public bool MayContain(string id)
    {
        var (h1, h2) = Hash(id);
        var size = (ulong)_bits.LongLength * 64;
        for (var i = 0UL; i < (ulong)_hashes; i++)
        {
            var bit = (h1 + (i * h2)) % size;
            if ((Volatile.Read(ref _bits[bit / 64]) & (1UL << (int)(bit % 64))) == 0)
            {
                return false;
            }
        }

        return true;
    }

    // FNV-1a (64-bit) over the UTF-16 code units, split into the two halves of double hashing (Kirsch–Mitzenmacher).
    private static (ulong H1, ulong H2) Hash(string id)
    {
        var hash = 14695981039346656037UL;
        foreach (var c in id)
        {
            hash = (hash ^ c) * 1099511628211UL;
        }

        hash ^= hash >> 29; // the low bits of FNV mix weakly: fold the high ones in
        return (hash & 0xFFFFFFFF, (hash >> 32) | 1);
    }
}
