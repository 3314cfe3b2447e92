namespace Ranking.Gateway.Proxy;

/// <summary>
/// Where a miss's fill leaves an answer for the client that is waiting on it. The client closes the slot when it stops
/// waiting, whatever the reason; an answer that arrives after that is dropped, never written to a request that ended.
/// </summary>
internal sealed class HandoffSlot
{
    private readonly Lock _lock = new();
    private Handoff? _handoff;
    private bool _closed;

    /// <returns>False when the client no longer waits: the caller must dispose the answer.</returns>
    public bool TryPut(Handoff handoff)
    {
        lock (_lock)
        {
            if (_closed)
            {
                return false;
            }

            _handoff = handoff;
            return true;
        }
    }

    /// <returns>The answer left for the client, if any; from now on nothing more is left here.</returns>
    public Handoff? Close()
    {
        lock (_lock)
        {
            _closed = true;
            var handoff = _handoff;
            _handoff = null;
            return handoff;
        }
    }
}
