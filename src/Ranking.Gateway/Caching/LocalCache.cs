using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.Caching.Memory;
using Ranking.Gateway.Caching.Redis;

namespace Ranking.Gateway.Caching;

/// <summary>
/// The in-process L1: each key's last load, kept for its policy's <c>L1</c> in a size-bounded memory cache (the
/// instance itself, never a copy or a serialized form, so a hit costs a dictionary lookup), and a single flight per key:
/// readers that arrive while a key loads wait for that load. When another instance rewrites an entry, this one drops
/// its copy (Redis pub/sub).
/// </summary>
internal sealed partial class LocalCache
{
    private readonly IMemoryCache _memory;
    private readonly ILogger<LocalCache> _logger;
    private readonly ConcurrentDictionary<string, Task<L1Item>> _loading = new(StringComparer.Ordinal);

    public LocalCache(IMemoryCache memory, RedisEntryStore store, ILogger<LocalCache> logger)
    {
        _memory = memory;
        _logger = logger;
        store.ChangedElsewhere += DropChangedElsewhere;
    }

    public bool TryGet(string key, [NotNullWhen(true)] out L1Item? item) => _memory.TryGetValue(key, out item);

    /// <summary>
    /// The key's load under way on this instance, or a new one, started now (synchronously, in the caller's flow, so
    /// <paramref name="load"/> may read the caller's request before its first await). A keepable result is kept for
    /// <paramref name="keepFor"/>. The caller's token ends only its own wait.
    /// </summary>
    public Task<L1Item> LoadAsync<TState>(string key, TState state, Func<TState, Task<L1Item>> load, TimeSpan keepFor, CancellationToken cancellationToken)
    {
        while (true)
        {
            if (_loading.TryGetValue(key, out var running))
            {
                return running.WaitAsync(cancellationToken);
            }

            var loaded = new TaskCompletionSource<L1Item>(TaskCreationOptions.RunContinuationsAsynchronously);
            if (_loading.TryAdd(key, loaded.Task))
            {
                _ = CompleteAsync(key, load(state), keepFor, loaded);
                return loaded.Task.WaitAsync(cancellationToken);
            }
        }
    }

    public void Remove(string key) => _memory.Remove(key);

    private async Task CompleteAsync(string key, Task<L1Item> load, TimeSpan keepFor, TaskCompletionSource<L1Item> loaded)
    {
        try
        {
            var item = await load;
            if (item.Keepable && keepFor > TimeSpan.Zero)
            {
                // Kept before the load is no longer "under way", so a reader finds one or the other.
                _memory.Set(key, item, new MemoryCacheEntryOptions { AbsoluteExpirationRelativeToNow = keepFor, Size = item.Size });
            }

            loaded.SetResult(item);
        }
        catch (Exception ex)
        {
            loaded.SetException(ex);
        }
        finally
        {
            _loading.TryRemove(new KeyValuePair<string, Task<L1Item>>(key, loaded.Task));
        }
    }

    // Runs on the pub/sub thread; a failure is logged and the copy expires with L1.
    private void DropChangedElsewhere(string key)
    {
        try
        {
            _memory.Remove(key);
        }
        catch (Exception ex)
        {
            Log.DropFailed(_logger, ex);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 203, Level = LogLevel.Warning, Message = "Could not drop an in-process copy another instance replaced; it expires with L1.")]
        public static partial void DropFailed(ILogger logger, Exception exception);
    }
}
