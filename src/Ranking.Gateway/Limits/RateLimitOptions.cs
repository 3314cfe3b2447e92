namespace Ranking.Gateway.Limits;

/// <summary>
/// Per-client rate limits, section <c>RateLimits</c>: each client has a token bucket per cache policy (the ranking
/// endpoint's and the cached routes'). Off unless <see cref="Enabled"/>; read at start-up.
/// </summary>
public sealed class RateLimitOptions
{
    public const string Section = "RateLimits";

    /// <summary>Whether requests are limited at all.</summary>
    public bool Enabled { get; set; }

    /// <summary>The bucket of a cache policy not listed under <see cref="Policies"/>.</summary>
    public TokenBucketLimit Default { get; set; } = new();

    /// <summary>Buckets by cache policy name (a name under <c>Gateway:Policies</c>); a key left out is <see cref="Default"/>'s.</summary>
    public Dictionary<string, TokenBucketLimit> Policies { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    internal TokenBucketLimit For(string policy) => Policies.TryGetValue(policy, out var limit) ? limit : Default;
}
