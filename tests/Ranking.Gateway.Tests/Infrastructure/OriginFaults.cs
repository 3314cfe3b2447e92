using Ranking.Gateway.Ranking;

namespace Ranking.Gateway.Tests.Infrastructure;

/// <summary>Faults a test injects into one gateway host's ranking origin.</summary>
public sealed class OriginFaults
{
    private TaskCompletionSource? _gate;
    private int _calls;
    private int _waiting;

    /// <summary>When set, every origin call fails before reaching PostgreSQL.</summary>
    public volatile bool Fail;

    /// <summary>Origin calls made through this host (including failed ones).</summary>
    public int Calls => Volatile.Read(ref _calls);

    /// <summary>Origin calls that have queried PostgreSQL and are held at the gate.</summary>
    public int Waiting => Volatile.Read(ref _waiting);

    /// <summary>Holds every answer, after its query ran, until <see cref="Open"/>: a slow origin on demand.</summary>
    public void Close() => _gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Open() => Interlocked.Exchange(ref _gate, null)?.TrySetResult();

    internal sealed class Origin(IRankingOrigin inner, OriginFaults faults) : IRankingOrigin
    {
        public async Task<RankingDocument?> GetTopAsync(string group, int limit, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref faults._calls);
            if (faults.Fail)
            {
                throw new InvalidOperationException("Injected origin failure.");
            }

            var document = await inner.GetTopAsync(group, limit, cancellationToken);
            if (faults._gate is { } gate)
            {
                Interlocked.Increment(ref faults._waiting);
                try
                {
                    await gate.Task.WaitAsync(cancellationToken);
                }
                finally
                {
                    Interlocked.Decrement(ref faults._waiting);
                }
            }

            return document;
        }
    }
}
