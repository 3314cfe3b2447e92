using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;
using Ranking.Gateway.Hosting;

namespace Ranking.Gateway.Limits;

/// <summary>
/// ASP.NET Core's global limiter for the gateway: a token bucket per (policy, client), and the 429 answer. Requests
/// to endpoints without a policy pass without a bucket. Buckets of clients gone quiet are dropped by the partitioned
/// limiter (about ten seconds after they refill), so their number follows the clients seen recently.
/// The limiter keeps its own clock (<see cref="TimeProvider"/> is not used: System.Threading.RateLimiting has no hook for it).
/// </summary>
internal sealed class ClientRateLimiter : IDisposable
{
    private static readonly RateLimitPartition<ClientPartition> Unlimited = RateLimitPartition.GetNoLimiter(new ClientPartition("", null));

    private readonly RateLimitOptions _options;
    private readonly RateLimitMetrics _metrics;
    private readonly Func<ClientPartition, TokenBucketRateLimiterOptions> _bucket;

    public ClientRateLimiter(IOptions<RateLimitOptions> options, RateLimitMetrics metrics)
    {
        _options = options.Value;
        _metrics = metrics;
        _bucket = partition => Bucket(_options.For(partition.Policy));
        Limiter = PartitionedRateLimiter.Create<HttpContext, ClientPartition>(Partition);
    }

    public PartitionedRateLimiter<HttpContext> Limiter { get; }

    /// <summary>429 application/problem+json with <c>Retry-After</c>, counted by policy.</summary>
    public ValueTask RejectAsync(OnRejectedContext rejected, CancellationToken cancellationToken)
    {
        var context = rejected.HttpContext;
        _metrics.Rejected(RateLimitPolicyMetadata.Of(context.GetEndpoint()) ?? "");
        TimeSpan? retryAfter = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var after) ? after : null;
        return new ValueTask(Problems.WriteAsync(
            context,
            StatusCodes.Status429TooManyRequests,
            "Too many requests",
            "This client has sent more requests than its budget allows. Try again after the time in Retry-After.",
            retryAfter));
    }

    public void Dispose() => Limiter.Dispose();

    private RateLimitPartition<ClientPartition> Partition(HttpContext context) =>
        RateLimitPolicyMetadata.Of(context.GetEndpoint()) is { } policy
            ? RateLimitPartition.GetTokenBucketLimiter(new ClientPartition(policy, ClientPartition.ClientOf(context.Connection.RemoteIpAddress)), _bucket)
            : Unlimited;

    // No queue: a client over its budget is answered at once rather than held on a connection.
    private static TokenBucketRateLimiterOptions Bucket(TokenBucketLimit limit) => new()
    {
        TokenLimit = limit.TokenLimit,
        TokensPerPeriod = limit.TokensPerPeriod,
        ReplenishmentPeriod = limit.ReplenishmentPeriod,
        QueueLimit = 0,
    };
}
