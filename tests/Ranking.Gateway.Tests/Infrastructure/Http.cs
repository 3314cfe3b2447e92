using System.Net;
using System.Text.Json;

namespace Ranking.Gateway.Tests.Infrastructure;

/// <summary>A response read whole, with the headers tests look at.</summary>
public sealed record Answer(HttpStatusCode Status, string CacheStatus, string Body, HttpResponseMessage Message)
{
    public string? Header(string name) =>
        Message.Headers.TryGetValues(name, out var values) || Message.Content.Headers.TryGetValues(name, out values)
            ? string.Join(", ", values)
            : null;

    public JsonElement Json => JsonDocument.Parse(Body).RootElement;

    public string[] UserIds => Json.GetProperty("entries").EnumerateArray().Select(e => e.GetProperty("userId").GetString()!).ToArray();

    public override string ToString() => $"{(int)Status} {CacheStatus}";
}

public static class HttpClientExtensions
{
    public static async Task<Answer> GetAnswerAsync(this HttpClient client, string path)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        return await client.SendAnswerAsync(request);
    }

    public static async Task<Answer> SendAnswerAsync(this HttpClient client, HttpRequestMessage request)
    {
        var response = await client.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        var status = response.Headers.TryGetValues("X-Cache-Status", out var values) ? values.Single() : "";
        return new Answer(response.StatusCode, status, body, response);
    }
}
