namespace Ranking.Gateway.Proxy;

/// <summary>The YARP route metadata key naming a cache policy under <c>Gateway:Policies</c>.</summary>
internal static class CachePolicyMetadata
{
    public const string Key = "CachePolicy";
}
