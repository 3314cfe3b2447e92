using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Ranking.Gateway.Caching;
using Ranking.Gateway.Proxy;

namespace Ranking.Gateway.Ranking;

/// <summary>
/// Reads a group's Top-N from an existing ranking service (a YARP cluster) instead of PostgreSQL, with the cluster's
/// load balancing, health and HttpClient like any proxied request.
/// </summary>
internal sealed class UpstreamRankingOrigin(FillForwarder upstream, IOptions<RankingOptions> options, IOptions<GatewayOptions> gateway) : IRankingOrigin
{
    public async Task<RankingDocument?> GetTopAsync(string group, int limit, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var pathAndQuery = settings.UpstreamPath
            .Replace("{group}", Uri.EscapeDataString(group), StringComparison.Ordinal)
            .Replace("{limit}", limit.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal);
        var queryAt = pathAndQuery.IndexOf('?', StringComparison.Ordinal);
        var fill = new FillRequest(
            RouteId: "",
            Scheme: "http",
            Host: default,
            PathBase: default,
            Path: queryAt < 0 ? pathAndQuery : pathAndQuery[..queryAt],
            Query: queryAt < 0 ? default : new QueryString(pathAndQuery[queryAt..]),
            Headers: [],
            RouteValues: new Dictionary<string, object?>(),
            ClientAddress: null);
        var response = await upstream.FetchAsync(settings.UpstreamCluster!, fill, gateway.Value.Policies[settings.Policy], cancellationToken);
        return response.StatusCode switch
        {
            200 => JsonSerializer.Deserialize(response.Body, RankingJsonContext.Default.RankingDocument)
                ?? throw new HttpRequestException("The ranking service answered an empty document."),
            404 => null,
            _ => throw new HttpRequestException($"The ranking service answered {response.StatusCode}."),
        };
    }

    // A ranking service has no batch call: one request per group.
    public async Task<IReadOnlyDictionary<string, RankingDocument>> GetTopManyAsync(IReadOnlyList<string> groups, int limit, CancellationToken cancellationToken)
    {
        var documents = new Dictionary<string, RankingDocument>(StringComparer.Ordinal);
        foreach (var group in groups)
        {
            if (await GetTopAsync(group, limit, cancellationToken) is { } document)
            {
                documents[group] = document;
            }
        }

        return documents;
    }
}
