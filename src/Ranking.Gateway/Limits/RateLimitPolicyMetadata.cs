using Microsoft.AspNetCore.Http.Metadata;
using Ranking.Gateway.Proxy;
using Yarp.ReverseProxy.Model;

namespace Ranking.Gateway.Limits;

/// <summary>Endpoint metadata: the endpoint's requests are limited under the named cache policy's budget.</summary>
internal sealed record RateLimitPolicyMetadata(string Policy)
{
    /// <summary>
    /// The policy whose budget a request is counted against: the endpoint's own (the ranking endpoint), or the
    /// <c>CachePolicy</c> a YARP route names. Null for everything else (routes without a policy, health, metrics):
    /// those are not limited.
    /// </summary>
    public static string? Of(Endpoint? endpoint)
    {
        if (endpoint is null)
        {
            return null;
        }

        if (endpoint.Metadata.GetMetadata<RateLimitPolicyMetadata>() is { } own)
        {
            return own.Policy;
        }

        return endpoint.Metadata.GetMetadata<RouteModel>()?.Config.Metadata?.TryGetValue(CachePolicyMetadata.Key, out var policy) == true
            ? policy
            : null;
    }
}
