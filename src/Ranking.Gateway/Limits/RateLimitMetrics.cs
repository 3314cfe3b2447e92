using System.Diagnostics.Metrics;
using Ranking.Gateway.Caching;

namespace Ranking.Gateway.Limits;

/// <summary>The rate limiter's instruments, on the gateway's meter. Tagged by policy; never by client address.</summary>
internal sealed class RateLimitMetrics
{
    private readonly Counter<long> _rejections;

    public RateLimitMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(CacheMetrics.MeterName);
        _rejections = meter.CreateCounter<long>("gateway.rate_limit.rejections", description: "Requests refused with 429 because their client was over its budget, by policy.");
    }

    /// <summary>Publishes the counter at zero for each policy, so it is visible before the first refusal.</summary>
    public void PublishZeros(IEnumerable<string> policies)
    {
        foreach (var policy in policies)
        {
            _rejections.Add(0, new KeyValuePair<string, object?>("policy", policy));
        }
    }

    public void Rejected(string policy) => _rejections.Add(1, new KeyValuePair<string, object?>("policy", policy));
}
