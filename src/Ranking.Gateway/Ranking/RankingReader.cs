using System.Text.Json;
using Microsoft.Extensions.Options;
using Ranking.Gateway.Caching;

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

    /// <summary>A read, or a refresh, of one group's cache entry.</summary>
    public CacheRequest Request(string group) => new(Key(group), PolicyName, Policy, (_, ct) => FetchAsync(group, ct), _freshness);

    public static string Key(string group) => $"ranking:{group}";

    /// <summary>The answer cached for a group: its Top-100, or a 404 problem when it has no scores.</summary>
    public static OriginResponse Response(string group, RankingDocument? document)
    {
        if (document is null)
        {
            var problem = new { type = "https://tools.ietf.org/html/rfc9110#section-15.5.5", title = "Unknown group", status = 404, detail = $"No ranking exists for group '{group}'." };
            return new OriginResponse(404, "application/problem+json", JsonSerializer.SerializeToUtf8Bytes(problem), []);
        }

        return new OriginResponse(200, "application/json; charset=utf-8", JsonSerializer.SerializeToUtf8Bytes(document, RankingJsonContext.Default.RankingDocument), [], GeneratedAt: document.GeneratedAt);
    }

    // Captures only the group id and the origin: it may run after the client has gone.
    private async Task<OriginResponse> FetchAsync(string group, CancellationToken cancellationToken) =>
        Response(group, await _origin.GetTopAsync(group, MaxLimit, cancellationToken));
}
