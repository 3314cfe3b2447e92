using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Ranking.Gateway.LoadTests.Hosting;

/// <summary>
/// The baselines, as a minimal Kestrel app in a process of its own (like the gateway, so neither shares the
/// load generator's CPU time and GC): <c>/memory</c> returns the gateway's own answer bytes and headers from
/// memory, the ceiling for the hit path; <c>/origin/{group}</c> queries PostgreSQL on every request, the
/// uncached origin path.
/// </summary>
internal static class BaselineServer
{
    public const string Command = "serve-baseline";

    // Same plan as the gateway's query; "(score)" keeps its text out of the origin counter's pattern, so the
    // origin baseline is never counted as gateway origin queries.
    private const string TopNSql = "SELECT user_id, score FROM ranking_scores WHERE group_id = @group ORDER BY (score) DESC, user_id LIMIT @limit";

    /// <summary>Runs the server: <c>serve-baseline PORT BODY_FILE POSTGRES [HEADER: VALUE]...</c>.</summary>
    public static async Task<int> RunAsync(IReadOnlyList<string> args)
    {
        var port = int.Parse(args[0], CultureInfo.InvariantCulture);
        var body = await File.ReadAllBytesAsync(args[1]);
        var headers = args.Skip(3).Select(h => h.Split(": ", 2)).ToArray();
        await using var database = NpgsqlDataSource.Create(args[2]);

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        // As the gateway's appsettings.json: no per-request Activity and log scope for a category that logs nothing.
        builder.Logging.AddFilter("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.None);
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        var app = builder.Build();
        app.Logger.LogWarning("Baseline server on port {Port}; server GC: {ServerGC}", port, System.Runtime.GCSettings.IsServerGC);

        app.MapGet("/health/live", () => "Healthy");
        // Any /memory/... path is the same answer: a cache in front (nginx) keeps one copy per path, as for many keys.
        app.MapGet("/memory/{**key}", (HttpContext context) =>
        {
            foreach (var header in headers)
            {
                context.Response.Headers[header[0]] = header[1];
            }

            context.Response.ContentLength = body.Length;
            return context.Response.Body.WriteAsync(body).AsTask();
        });
        app.MapGet("/origin/{group}", (HttpContext context, string group, int? limit) => OriginAsync(context, database, group, limit ?? 100));
        await app.RunAsync();
        return 0;
    }

    private static async Task OriginAsync(HttpContext context, NpgsqlDataSource database, string group, int limit)
    {
        var generatedAt = DateTimeOffset.UtcNow;
        await using var command = database.CreateCommand(TopNSql);
        command.Parameters.AddWithValue("group", group);
        command.Parameters.AddWithValue("limit", limit);
        await using var reader = await command.ExecuteReaderAsync(context.RequestAborted);

        using var buffer = new MemoryStream();
        await using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("group", group);
            json.WriteString("generatedAt", generatedAt);
            json.WriteStartArray("entries");
            var rank = 0;
            while (await reader.ReadAsync(context.RequestAborted))
            {
                json.WriteStartObject();
                json.WriteNumber("rank", ++rank);
                json.WriteString("userId", reader.GetString(0));
                json.WriteNumber("score", reader.GetInt64(1));
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        context.Response.ContentType = "application/json; charset=utf-8";
        context.Response.ContentLength = buffer.Length;
        await context.Response.Body.WriteAsync(buffer.GetBuffer().AsMemory(0, (int)buffer.Length));
    }
}
