namespace Ranking.Gateway.Limits;

/// <summary>
/// One client's budget under one policy: a bucket of <see cref="TokenLimit"/> requests, refilled by
/// <see cref="TokensPerPeriod"/> every <see cref="ReplenishmentPeriod"/> (ASP.NET Core's token bucket).
/// </summary>
public sealed record TokenBucketLimit
{
    /// <summary>The most requests a client may make at once, after it was quiet (the burst).</summary>
    public int TokenLimit { get; init; } = 100;

    /// <summary>Requests added back to the bucket every <see cref="ReplenishmentPeriod"/> (the sustained rate).</summary>
    public int TokensPerPeriod { get; init; } = 50;

    /// <summary>How often <see cref="TokensPerPeriod"/> are added back.</summary>
    public TimeSpan ReplenishmentPeriod { get; init; } = TimeSpan.FromSeconds(1);
}
