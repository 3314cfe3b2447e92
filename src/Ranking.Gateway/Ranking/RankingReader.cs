using System.Text.Json;
using Microsoft.Extensions.Options;
using Ranking.Gateway.Caching;

namespace Ranking.Gateway.Ranking;

/// <summary>Reads rankings through the SWR cache; the cache always holds a group's full Top-100.</summary>
internal sealed class RankingReader
{
    public const int MaxLimit = 100;

    private readonly SwrCache _cache;
    private readonly IRankingOrigin _origin;
    private readonly string _policyName;
    private readonly CachePolicy _policy;

    public RankingReader(SwrCache cache, IRankingOrigin origin, IOptions<RankingOptions> options, IOptions<GatewayOptions> gateway)
    {
        _cache = cache;
        _origin = origin;
        _policyName = options.Value.Policy;
        _policy = gateway.Value.Policies[_policyName];
    }

    public CachePolicy Policy => _policy;

    public ValueTask<CacheLookup> ReadAsync(string group, CancellationToken cancellationToken) =>
        _cache.GetAsync(new CacheRequest(Key(group), _policyName, _policy, ct => FetchAsync(group, ct)), cancellationToken);

    private static string Key(string group) => $"ranking:{group}";

    // Captures only the group id and the origin: it may run after the client has gone.
    private async Task<OriginResponse> FetchAsync(string group, CancellationToken cancellationToken)
    {
        var document = await _origin.GetTopAsync(group, MaxLimit, cancellationToken);
        if (document is null)
        {
            var problem = new { type = "https://tools.ietf.org/html/rfc9110#section-15.5.5", title = "Unknown group", status = 404, detail = $"No ranking exists for group '{group}'." };
            return new OriginResponse(404, "application/problem+json", JsonSerializer.SerializeToUtf8Bytes(problem), []);
        }

        return new OriginResponse(200, "application/json; charset=utf-8", JsonSerializer.SerializeToUtf8Bytes(document, RankingJsonContext.Default.RankingDocument), []);
    }
}
