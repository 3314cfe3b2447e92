namespace Ranking.Gateway.Refresh;

/// <summary>Queue mode: how the producer learns which groups changed (<c>Ranking:Refresh:Changes</c>).</summary>
public enum ChangeSource
{
    /// <summary>Scans <c>Ranking:ChangedGroupsSql</c> once a period: changes are served within about one period.</summary>
    Poll,

    /// <summary>
    /// Reads the score table's committed changes from a logical replication slot and queues their groups at once
    /// (<c>Refresh/Queue/ChangeStream.cs</c>); polls, as <see cref="Poll"/>, whenever the stream is unavailable.
    /// </summary>
    Replication,
}
