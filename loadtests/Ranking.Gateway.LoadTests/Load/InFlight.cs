namespace Ranking.Gateway.LoadTests.Load;

/// <summary>Counts requests in flight and lets the sender wait until the last one is answered.</summary>
internal sealed class InFlight
{
    private readonly TaskCompletionSource _drained = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _count = 1;

    public long Count => Interlocked.Read(ref _count) - 1;

    public void Add() => Interlocked.Increment(ref _count);

    public void Done()
    {
        if (Interlocked.Decrement(ref _count) == 0)
        {
            _drained.TrySetResult();
        }
    }

    /// <summary>Call once, after the last <see cref="Add"/>: completes when every request is done.</summary>
    public Task DrainedAsync()
    {
        Done();
        return _drained.Task;
    }
}
