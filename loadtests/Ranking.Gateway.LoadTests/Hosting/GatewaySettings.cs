using System.Globalization;
using System.Text.Json;

namespace Ranking.Gateway.LoadTests.Hosting;

/// <summary>
/// What a setting of a started gateway is: the last override it was started with (<c>Key=Value</c>), else the
/// repository's appsettings.json, which it reads; else the caller's fallback, the gateway's own default. Keys are
/// matched without regard to case, as configuration does.
/// </summary>
internal static class GatewaySettings
{
    private static readonly Lazy<JsonElement?> AppSettings = new(ReadAppSettings);

    public static string? Find(IReadOnlyList<string> overrides, string key)
    {
        for (var i = overrides.Count - 1; i >= 0; i--)
        {
            var separator = overrides[i].IndexOf('=', StringComparison.Ordinal);
            if (separator > 0 && string.Equals(overrides[i][..separator], key, StringComparison.OrdinalIgnoreCase))
            {
                return overrides[i][(separator + 1)..];
            }
        }

        var node = AppSettings.Value;
        foreach (var name in key.Split(':'))
        {
            node = node is { ValueKind: JsonValueKind.Object } parent
                ? parent.EnumerateObject().Where(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase)).Select(p => (JsonElement?)p.Value).FirstOrDefault()
                : null;
        }

        return node?.ValueKind is JsonValueKind.String or JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False ? node.Value.ToString() : null;
    }

    public static TimeSpan Time(IReadOnlyList<string> overrides, string key, TimeSpan fallback) =>
        Find(overrides, key) is { } text && TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out var time) ? time : fallback;

    public static int Int(IReadOnlyList<string> overrides, string key, int fallback) =>
        Find(overrides, key) is { } text && int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) ? value : fallback;

    private static JsonElement? ReadAppSettings()
    {
        var path = Path.Combine(RepoPaths.Root, "appsettings.json");
        if (!File.Exists(path))
        {
            return null;
        }

        using var document = JsonDocument.Parse(File.ReadAllText(path), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        return document.RootElement.Clone();
    }
}
