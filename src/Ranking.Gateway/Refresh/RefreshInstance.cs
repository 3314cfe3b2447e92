namespace Ranking.Gateway.Refresh;

/// <summary>
/// This gateway instance's name in the refresh modes' shared state (lock values, the producer lease, the queue
/// consumer), readable by an operator: host, process id and a random part, since one process can host several.
/// </summary>
internal sealed class RefreshInstance
{
    public string Name { get; } = $"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid().ToString("N")[..8]}";
}
