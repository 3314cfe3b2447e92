using System.Collections.Concurrent;

namespace Ranking.Gateway.Caching;

/// <summary>
/// Cache keys as strings, made once: a read writes its key into a buffer and finds the string here, so a hit builds no
/// string. Bounded: past <c>capacity</c> keys the table starts again (a flood of distinct keys costs only what it did
/// without the table, a string per read).
/// </summary>
internal sealed class InternedKeys(int capacity)
{
    private readonly ConcurrentDictionary<string, string> _keys = new(StringComparer.Ordinal);
    private int _count;

    /// <summary>The keys of every read, shared by the front doors (a key is a pure function of what it is built from).</summary>
    public static InternedKeys Shared { get; } = new(16 * 1024);

    public string Get(ReadOnlySpan<char> key)
    {
        if (_keys.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(key, out var found))
        {
            return found;
        }

        var created = key.ToString();
        if (Interlocked.Increment(ref _count) > capacity)
        {
            _keys.Clear();
            Interlocked.Exchange(ref _count, 1);
        }

        return _keys.GetOrAdd(created, created);
    }
}
