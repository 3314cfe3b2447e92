using System.Text.Json;
using Ranking.Gateway.Caching;

namespace Ranking.Gateway.Ranking;

/// <summary>The answers cached for a group: its Top-100 as JSON, or a 404 problem when it has no scores.</summary>
internal static class RankingResponses
{
    public const string ContentType = "application/json; charset=utf-8";

    public static OriginResponse Of(RankingDocument document) =>
        new(200, ContentType, JsonSerializer.SerializeToUtf8Bytes(document, RankingJsonContext.Default.RankingDocument), [], GeneratedAt: document.GeneratedAt);

    public static OriginResponse NotFound(string group)
    {
        var problem = new { type = "https://tools.ietf.org/html/rfc9110#section-15.5.5", title = "Unknown group", status = 404, detail = $"No ranking exists for group '{group}'." };
        return new OriginResponse(404, "application/problem+json", JsonSerializer.SerializeToUtf8Bytes(problem), []);
    }
}
