using Ranking.Gateway.LoadTests.Hosting;
using Ranking.Gateway.LoadTests.Measurement;

namespace Ranking.Gateway.LoadTests.Scenarios.Overload;

/// <summary>One gateway the floods run against: a label for its configuration, the process (for its RSS) and its origin counter.</summary>
internal sealed record FloodTarget(string Label, GatewayProcess Gateway, OriginCounter Origin)
{
    public Uri Url => Gateway.Url;
}
