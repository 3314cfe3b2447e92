using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;

namespace Ranking.Gateway.Caching;

/// <summary>
/// The pace of refreshes a soft purge causes on this instance (<see cref="GatewayOptions.PurgeRefreshRate"/> a second),
/// shared by the reads that find a purged entry (<see cref="Revalidator"/>) and the purge's own walk over the groups it
/// named (<c>PurgePacer</c>), so purging 100,000 entries never becomes 100,000 origin queries at once.
/// </summary>
internal sealed class PurgeRefreshes(IOptions<GatewayOptions> options) : IDisposable
{
    // Tenths of a second, so a burst is at most a tenth of the rate.
    private readonly TokenBucketRateLimiter _limiter = new(new TokenBucketRateLimiterOptions
    {
        TokenLimit = Math.Max(1, options.Value.PurgeRefreshRate / 10),
        TokensPerPeriod = Math.Max(1, options.Value.PurgeRefreshRate / 10),
        ReplenishmentPeriod = TimeSpan.FromSeconds(options.Value.PurgeRefreshRate >= 10 ? 0.1 : 1.0 / options.Value.PurgeRefreshRate),
        QueueLimit = int.MaxValue,
        QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
        AutoReplenishment = true,
    });

    /// <summary>Whether a refresh may start now (a read's: it does not wait).</summary>
    public bool TryStart()
    {
        using var lease = _limiter.AttemptAcquire();
        return lease.IsAcquired;
    }

    /// <summary>Waits until a refresh may start.</summary>
    public async ValueTask WaitAsync(CancellationToken cancellationToken)
    {
        using var lease = await _limiter.AcquireAsync(1, cancellationToken);
    }

    public void Dispose() => _limiter.Dispose();
}
