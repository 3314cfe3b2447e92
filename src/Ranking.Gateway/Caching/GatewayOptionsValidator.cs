using Microsoft.Extensions.Options;

namespace Ranking.Gateway.Caching;

/// <summary>Checks the settings against each other, naming the offending key.</summary>
internal sealed partial class GatewayOptionsValidator : IValidateOptions<GatewayOptions>
{
    // Request headers a fill never copies from a client without keying on them: credentials, the host (in the key
    // already), conditionals and ranges (a fill asks for the whole answer), and the connection's own.
    private static readonly HashSet<string> NeverForwarded = new(StringComparer.OrdinalIgnoreCase)
    {
        "Authorization", "Proxy-Authorization", "Cookie", "Host", "If-None-Match", "If-Modified-Since", "If-Match",
        "If-Unmodified-Since", "If-Range", "Range", "Connection", "Keep-Alive", "TE", "Transfer-Encoding", "Upgrade",
        "Content-Length",
    };

    public ValidateOptionsResult Validate(string? name, GatewayOptions options)
    {
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(options.KeyPrefix))
        {
            errors.Add("Gateway:KeyPrefix must not be empty.");
        }

        if (options.RedisTimeout <= TimeSpan.Zero)
        {
            errors.Add("Gateway:RedisTimeout must be positive.");
        }

        if (options.RedisBreakDuration < TimeSpan.Zero)
        {
            errors.Add("Gateway:RedisBreakDuration must not be negative.");
        }

        if (options.L1SizeLimit < 1024 * 1024)
        {
            errors.Add($"Gateway:L1SizeLimit must be at least 1048576 bytes (was {options.L1SizeLimit}).");
        }

        if (options.PurgeRefreshRate < 1)
        {
            errors.Add($"Gateway:PurgeRefreshRate must be at least 1 (was {options.PurgeRefreshRate}).");
        }

        if (options.Policies.Count == 0)
        {
            errors.Add("Gateway:Policies must define at least one policy.");
        }

        foreach (var (policyName, p) in options.Policies)
        {
            var key = $"Gateway:Policies:{policyName}";
            Positive(p.Fresh, $"{key}:Fresh");
            Positive(p.OriginTimeout, $"{key}:OriginTimeout");
            Positive(p.LockExpiry, $"{key}:LockExpiry");
            Positive(p.MissWait, $"{key}:MissWait");
            NotNegative(p.FreshJitter, $"{key}:FreshJitter");
            NotNegative(p.Stale, $"{key}:Stale");
            NotNegative(p.Negative, $"{key}:Negative");
            NotNegative(p.L1, $"{key}:L1");
            NotNegative(p.RetryDelay, $"{key}:RetryDelay");
            Positive(p.RetryAfter, $"{key}:RetryAfter");
            if (p.StaleIfError < p.Stale)
            {
                errors.Add($"{key}:StaleIfError ({p.StaleIfError}) must be at least {key}:Stale ({p.Stale}).");
            }

            if (p.LockExpiry <= p.OriginTimeout)
            {
                errors.Add($"{key}:LockExpiry ({p.LockExpiry}) must be longer than {key}:OriginTimeout ({p.OriginTimeout}), or a slow fetch outlives its lock.");
            }

            if (p.L1 >= p.Fresh)
            {
                errors.Add($"{key}:L1 ({p.L1}) must be shorter than {key}:Fresh ({p.Fresh}).");
            }

            if (p.MaxConcurrentFetches < 1)
            {
                errors.Add($"{key}:MaxConcurrentFetches must be at least 1 (was {p.MaxConcurrentFetches}).");
            }

            if (p.MaxQueuedFetches < 0)
            {
                errors.Add($"{key}:MaxQueuedFetches must not be negative (was {p.MaxQueuedFetches}).");
            }

            if (p.MaxBodyBytes < 1)
            {
                errors.Add($"{key}:MaxBodyBytes must be positive (was {p.MaxBodyBytes}).");
            }

            if (p.QueryKeys.Contains("*") && p.QueryKeys.Length > 1)
            {
                errors.Add($"{key}:QueryKeys is either \"*\" (every parameter) or a list of names, not both (was {string.Join(", ", p.QueryKeys)}).");
            }

            foreach (var header in p.ForwardRequestHeaders.Where(h => NeverForwarded.Contains(h)))
            {
                errors.Add($"{key}:ForwardRequestHeaders may not name {header}: it is one user's, or it changes the answer; headers that change the answer belong in {key}:VaryByHeaders.");
            }

            if (p.MinUses < 1)
            {
                errors.Add($"{key}:MinUses must be at least 1 (was {p.MinUses}).");
            }

            if (p.MinUses > 1)
            {
                Positive(p.MinUsesWindow, $"{key}:MinUsesWindow");
            }

            if (!HeaderName().IsMatch(p.TagHeader))
            {
                errors.Add($"{key}:TagHeader must be a header name (was '{p.TagHeader}').");
            }

            if (p.DownstreamCacheControl is not ("" or "CDN-Cache-Control" or "Surrogate-Control"))
            {
                errors.Add($"{key}:DownstreamCacheControl is empty, CDN-Cache-Control or Surrogate-Control (was '{p.DownstreamCacheControl}').");
            }

            Statuses(p.CacheableStatuses, $"{key}:CacheableStatuses");
            Statuses(p.NegativeStatuses, $"{key}:NegativeStatuses");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);

        // A 5xx is an origin failure (served stale-if-error), never an answer to keep.
        void Statuses(int[] statuses, string key)
        {
            if (statuses.Any(s => s is < 200 or > 499))
            {
                errors.Add($"{key} may only hold statuses from 200 to 499 (was {string.Join(", ", statuses)}).");
            }
        }

        void Positive(TimeSpan value, string key)
        {
            if (value <= TimeSpan.Zero)
            {
                errors.Add($"{key} must be positive (was {value}).");
            }
        }

        void NotNegative(TimeSpan value, string key)
        {
            if (value < TimeSpan.Zero)
            {
                errors.Add($"{key} must not be negative (was {value}).");
            }
        }
    }

    // RFC 9110 §5.1: a token.
    [System.Text.RegularExpressions.GeneratedRegex("^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")]
    private static partial System.Text.RegularExpressions.Regex HeaderName();
}
