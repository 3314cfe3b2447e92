using System.Collections.Concurrent;

namespace Ranking.Gateway.Caching;

/// <summary>
/// Cache keys as strings, made once: a read writes its key into a buffer and finds the string here, so a hit builds no
/// string. Bounded: past <c>capacity</c> keys a read not in the table gets a string of its own, which dies young (a flood
/// of distinct keys costs only what it did without the table, a string per read), and the table starts again at most
/// once every <see cref="RestartAfter"/>, so it follows a hot set that moves.
/// </summary>
/// <remarks>
/// Sized for as many keys as a full L1 holds Top-100s (1 GiB, about 150,000), ~110 bytes a key: a hot set the L1 holds
/// is interned whole and the table never starts again. A restart is what costs: every string added after it lives
/// long, so each is copied out of the young generation, and a young collection of a ~1 GB heap paused 20–30 ms for the
/// ~2 MiB a 16,384-key table promoted when 100,000 keys read uniformly made it start again every 10 s, against ~1 ms
/// with every key interned (loadtests/RESULTS.md, issue 22). Nor does it start again each time it fills: every read
/// would then add a string.
/// </remarks>
internal sealed class InternedKeys(int capacity, TimeProvider? time = null)
{
    private static readonly TimeSpan RestartAfter = TimeSpan.FromMinutes(10);

    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly ConcurrentDictionary<string, string> _keys = new(StringComparer.Ordinal);
    private int _count;
    private long _started = (time ?? TimeProvider.System).GetTimestamp();

    /// <summary>The keys of every read, shared by the front doors (a key is a pure function of what it is built from).</summary>
    public static InternedKeys Shared { get; } = new(128 * 1024);

    public string Get(ReadOnlySpan<char> key)
    {
        if (_keys.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(key, out var found))
        {
            return found;
        }

        var created = key.ToString();
        if (Volatile.Read(ref _count) >= capacity)
        {
            var started = Volatile.Read(ref _started);
            if (_time.GetElapsedTime(started) < RestartAfter || Interlocked.CompareExchange(ref _started, _time.GetTimestamp(), started) != started)
            {
                return created;
            }

            _keys.Clear();
            Interlocked.Exchange(ref _count, 0);
        }

        Interlocked.Increment(ref _count);
        return _keys.GetOrAdd(created, created);
    }
}
