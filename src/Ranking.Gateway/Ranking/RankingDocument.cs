using System.Text.Json;
using System.Text.Json.Serialization;

namespace Ranking.Gateway.Ranking;

/// <summary>A group's Top-N, as served: <c>{"group","generatedAt","entries":[{"rank","userId","score"}]}</c>.</summary>
internal sealed record RankingDocument(string Group, DateTimeOffset GeneratedAt, IReadOnlyList<RankingEntry> Entries)
{
    public RankingDocument Take(int limit) =>
        limit >= Entries.Count ? this : this with { Entries = Entries.Take(limit).ToArray() };
}

internal sealed record RankingEntry(int Rank, string UserId, long Score);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(RankingDocument))]
internal sealed partial class RankingJsonContext : JsonSerializerContext;
