using System.Text.Json;
using Ranking.Gateway.Tests.Infrastructure;

namespace Ranking.Gateway.Tests.Admin;

/// <summary>The admin key of the tests, the settings that turn the API on, and admin calls with any credentials.</summary>
internal static class AdminCalls
{
    public const string Key = "test-admin-key-7f3c9a1e5b2d4c6f8a0e";

    public const string Bearer = "Bearer " + Key;

    /// <summary><paramref name="settings"/> with the admin API on (and its calls logged at Information).</summary>
    public static Dictionary<string, string?> On(Dictionary<string, string?> settings)
    {
        settings["Admin:ApiKey"] = Key;
        settings["Logging:LogLevel:Ranking.Gateway.Admin"] = "Information";
        return settings;
    }

    /// <summary>Sends an admin call; <paramref name="authorization"/> goes out exactly as given (none when null).</summary>
    public static async Task<Answer> AdminAsync(this HttpClient client, HttpMethod method, string path, string? authorization = Bearer, params (string Name, string Value)[] headers)
    {
        using var request = new HttpRequestMessage(method, path);
        if (authorization is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", authorization);
        }

        foreach (var (name, value) in headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        return await client.SendAnswerAsync(request);
    }

    /// <summary>An admin POST with a JSON body, with the key.</summary>
    public static async Task<Answer> PostJsonAsync(HttpClient client, string path, string json)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(json, System.Text.Encoding.UTF8, "application/json") };
        request.Headers.TryAddWithoutValidation("Authorization", Bearer);
        return await client.SendAnswerAsync(request);
    }

    public static Task<Answer> StateAsync(this HttpClient client, string path, params (string Name, string Value)[] headers) =>
        client.AdminAsync(HttpMethod.Get, path, Bearer, headers);

    public static string Status(this Answer answer) => answer.Json.GetProperty("status").GetString()!;

    public static DateTimeOffset? Time(this Answer answer, string property) =>
        answer.Json.GetProperty(property) is { ValueKind: JsonValueKind.String } value ? value.GetDateTimeOffset() : null;
}
