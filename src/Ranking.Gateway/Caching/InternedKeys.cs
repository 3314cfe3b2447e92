using System.Collections.Concurrent;

namespace Ranking.Gateway.Caching;

/// <summary>
/// Cache keys as strings, made once: a read writes its key into a buffer and finds the string here, so a hit builds no
/// string. Bounded: past <c>capacity</c> keys a read not in the table gets a string of its own, which dies young (a flood
/// of distinct keys costs only what it did without the table, a string per read), and the table starts again at most
/// once every <see cref="RestartAfter"/>, so it follows a hot set that moves.
/// </summary>
/// <remarks>
/// It does not start again each time it fills: with more keys read than it holds (100,000 keys read uniformly) every
/// read would add a string to a long-lived table and the table would churn, each string surviving a young-generation
/// collection; that was a tenth of the collector's pauses there (loadtests/RESULTS.md).
/// </remarks>
internal sealed class InternedKeys(int capacity, TimeProvider? time = null)
{
    private static readonly TimeSpan RestartAfter = TimeSpan.FromSeconds(10);

    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly ConcurrentDictionary<string, string> _keys = new(StringComparer.Ordinal);
    private int _count;
    private long _started = (time ?? TimeProvider.System).GetTimestamp();

    /// <summary>The keys of every read, shared by the front doors (a key is a pure function of what it is built from).</summary>
    public static InternedKeys Shared { get; } = new(16 * 1024);

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
