using Microsoft.Extensions.Options;
using Ranking.Gateway.Caching;
using Ranking.Gateway.Caching.FreshnessPolicies;

namespace Ranking.Gateway.Ranking;

/// <summary>
/// Reads rankings through the SWR cache; the cache always holds a group's full Top-100. The refresh mode's
/// freshness policy judges the entries it finds.
/// </summary>
internal sealed class RankingReader
{
    public const int MaxLimit = 100;

    private readonly SwrCache _cache;
    private readonly IRankingOrigin _origin;
    private readonly IFreshnessPolicy _freshness;

    public RankingReader(SwrCache cache, IRankingOrigin origin, IFreshnessPolicy freshness, IOptions<RankingOptions> options, IOptions<GatewayOptions> gateway)
    {
        _cache = cache;
        _origin = origin;
        _freshness = freshness;
        PolicyName = options.Value.Policy;
        Policy = gateway.Value.Policies[PolicyName];
    }

    public string PolicyName { get; }

    public CachePolicy Policy { get; }

    public ValueTask<CacheLookup> ReadAsync(string group, CancellationToken cancellationToken) =>
        _cache.GetAsync(Request(group), cancellationToken);

    /// <summary>A read, or a refresh, of one group's cache entry; the group id is all its origin needs.</summary>
    public CacheRequest Request(string group) => new(Key(group), PolicyName, Policy, _origin, group, _freshness);

    /// <summary>The group a cache key is the ranking entry of, or null when it is another's (a proxied route's).</summary>
    public static string? GroupOf(string key) =>
        key.StartsWith("ranking:", StringComparison.Ordinal) ? key["ranking:".Length..] : null;

    /// <summary>The group's cache key, <c>ranking:{group}</c>, without building a string for a key read before.</summary>
    public static string Key(string group)
    {
        const string prefix = "ranking:";
        if (group.Length > 256)
        {
            return prefix + group;
        }

        Span<char> key = stackalloc char[prefix.Length + group.Length];
        prefix.CopyTo(key);
        group.CopyTo(key[prefix.Length..]);
        return InternedKeys.Shared.Get(key);
    }
}
