namespace Ranking.Gateway.Proxy;

/// <summary>The YARP route metadata keys of a cached route.</summary>
internal static class CachePolicyMetadata
{
    /// <summary>Names the route's cache policy under <c>Gateway:Policies</c>.</summary>
    public const string Key = "CachePolicy";

    /// <summary>Tags every entry of the route carries (space- or comma-separated), besides those its upstream sends.</summary>
    public const string Tags = "CacheTags";
}
