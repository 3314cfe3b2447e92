using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Ranking.Gateway.Caching;
using Ranking.Gateway.Proxy;

namespace Ranking.Gateway.Ranking;

/// <summary>
/// Reads a group's Top-N from an existing ranking service (a YARP cluster) instead of PostgreSQL, with the cluster's
/// load balancing, health and HttpClient like any proxied request. The service's JSON is kept as it came: it is read
/// once, to check it is a ranking and learn when it was generated, never rewritten.
/// </summary>
internal sealed class UpstreamRankingOrigin(FillForwarder upstream, IOptions<RankingOptions> options, IOptions<GatewayOptions> gateway) : IRankingOrigin
{
    public async Task<OriginResult> FetchAsync(OriginRequest request, CancellationToken cancellationToken)
    {
        var group = (string)request.Target;
        var settings = options.Value;
        var pathAndQuery = settings.UpstreamPath
            .Replace("{group}", Uri.EscapeDataString(group), StringComparison.Ordinal)
            .Replace("{limit}", RankingReader.MaxLimit.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal);
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
        var result = await upstream.FetchAsync(settings.UpstreamCluster!, fill, request.Policy, cancellationToken);
        if (result.Response is not { } response)
        {
            return result;
        }

        return response.StatusCode switch
        {
            200 => Ranking(response.Body),
            404 => RankingResponses.NotFound(group),
            _ => new OriginFailure(OriginFailureKind.Error, $"The ranking service answered {response.StatusCode}."),
        };
    }

    // A ranking service has no batch call: one request per group.
    public async Task<IReadOnlyDictionary<string, OriginResponse>> FetchManyAsync(IReadOnlyList<string> groups, CancellationToken cancellationToken)
    {
        var answers = new Dictionary<string, OriginResponse>(StringComparer.Ordinal);
        foreach (var group in groups)
        {
            var result = await FetchAsync(new OriginRequest("", GroupPolicy, group, FetchReason.Refresh), cancellationToken);
            if (result.Failure is { } failure)
            {
                throw failure.ToException();
            }

            if (result.Response is { StatusCode: 200 } answer)
            {
                answers[group] = answer;
            }
        }

        return answers;
    }

    private CachePolicy GroupPolicy => gateway.Value.Policies[options.Value.Policy];

    private static OriginResult Ranking(byte[] body)
    {
        RankingDocument? document;
        try
        {
            document = JsonSerializer.Deserialize(body, RankingJsonContext.Default.RankingDocument);
        }
        catch (JsonException ex)
        {
            return new OriginFailure(OriginFailureKind.Error, "The ranking service answered a document that is not a ranking.", Cause: ex);
        }

        return document is null
            ? new OriginFailure(OriginFailureKind.Error, "The ranking service answered an empty document.")
            : new OriginResponse(200, RankingResponses.ContentType, body, [], GeneratedAt: document.GeneratedAt);
    }
}
