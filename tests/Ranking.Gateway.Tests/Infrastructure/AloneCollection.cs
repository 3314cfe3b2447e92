namespace Ranking.Gateway.Tests.Infrastructure;

/// <summary>
/// Tests that read /metrics run alone: OpenTelemetry subscribes to meters by name, so every gateway
/// host in the test process reports into every host's Prometheus endpoint.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class AloneCollection
{
    public const string Name = "Alone";
}
