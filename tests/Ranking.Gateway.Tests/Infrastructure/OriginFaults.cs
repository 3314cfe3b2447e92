using System.Collections.Concurrent;
using Ranking.Gateway.Caching;
using Ranking.Gateway.Ranking;

namespace Ranking.Gateway.Tests.Infrastructure;

/// <summary>Faults a test injects into one gateway host's ranking origin.</summary>
public sealed class OriginFaults
{
    private readonly ConcurrentDictionary<string, byte> _poisoned = new(StringComparer.Ordinal);
    private TaskCompletionSource? _gate;
    private int _calls;
    private int _batches;
    private int _waiting;

    /// <summary>When set, every origin call fails before reaching PostgreSQL.</summary>
    public volatile bool Fail;

    /// <summary>When set, a call fails once its query has run (and, if the gate was closed, once it is let through).</summary>
    public volatile bool FailAfterQuery;

    /// <summary>Single-group origin calls made through this host (including failed ones).</summary>
    public int Calls => Volatile.Read(ref _calls);

    /// <summary>Batched origin calls (many groups in one query) made through this host (including failed ones).</summary>
    public int Batches => Volatile.Read(ref _batches);

    /// <summary>From now on, recomputing <paramref name="group"/> fails: alone, or in any batch that holds it.</summary>
    public void Poison(string group) => _poisoned[group] = 0;

    /// <summary>Recomputing <paramref name="group"/> works again.</summary>
    public void Cure(string group) => _poisoned.TryRemove(group, out _);

    /// <summary>Origin calls that have queried PostgreSQL and are held at the gate.</summary>
    public int Waiting => Volatile.Read(ref _waiting);

    /// <summary>Holds every answer, after its query ran, until <see cref="Open"/>: a slow origin on demand.</summary>
    public void Close() => _gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Open() => Interlocked.Exchange(ref _gate, null)?.TrySetResult();

    internal sealed class Origin(IRankingOrigin inner, OriginFaults faults) : IRankingOrigin
    {
        public async Task<OriginResult> FetchAsync(OriginRequest request, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref faults._calls);
            faults.ThrowIfFailing([(string)request.Target]);
            var result = await inner.FetchAsync(request, cancellationToken);
            await faults.HoldAsync(cancellationToken);
            return faults.FailAfterQuery ? throw new InvalidOperationException("Injected origin failure after the query.") : result;
        }

        public async Task<IReadOnlyDictionary<string, OriginResponse>> FetchManyAsync(IReadOnlyList<string> groups, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref faults._batches);
            faults.ThrowIfFailing(groups);
            var answers = await inner.FetchManyAsync(groups, cancellationToken);
            await faults.HoldAsync(cancellationToken);
            return answers;
        }
    }

    private void ThrowIfFailing(IReadOnlyList<string> groups)
    {
        if (Fail)
        {
            throw new InvalidOperationException("Injected origin failure.");
        }

        if (groups.FirstOrDefault(_poisoned.ContainsKey) is { } poisoned)
        {
            throw new InvalidOperationException($"Injected failure for group {poisoned}.");
        }
    }

    private async Task HoldAsync(CancellationToken cancellationToken)
    {
        if (_gate is { } gate)
        {
            Interlocked.Increment(ref _waiting);
            try
            {
                await gate.Task.WaitAsync(cancellationToken);
            }
            finally
            {
                Interlocked.Decrement(ref _waiting);
            }
        }
    }
}
