using System.Collections.Concurrent;
using System.IO.Compression;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Ranking.Gateway.Tests.Proxy;

/// <summary>An existing service behind the gateway: real Kestrel on a loopback port, counting what it receives.</summary>
public sealed class UpstreamServer : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, int> _requests = new();
    private WebApplication? _app;
    private TaskCompletionSource? _gate;
    private int _version = 1;

    /// <summary>The size of /big's answer: 10 MiB, sent in 64 KiB chunks, chunk i filled with byte i.</summary>
    public const int BigBytes = 10 * 1024 * 1024;

    /// <summary>How old /ranking/{group} says its rankings are.</summary>
    public static readonly TimeSpan RankingAge = TimeSpan.FromSeconds(30);

    /// <summary>What /api/gzipped answers: a JSON document, gzip-encoded by the upstream.</summary>
    public static readonly byte[] Gzipped = Gzip(string.Concat(Enumerable.Repeat("{\"item\":\"compressed by the upstream\"}", 40)));

    public string Address { get; private set; } = "";

    /// <summary>When set, /api/items answers 500.</summary>
    public volatile bool Fail;

    /// <summary>When set, /health answers 503 (for active health checks).</summary>
    public volatile bool Unhealthy;

    /// <summary>What /echo received, last first: request line and headers, as the upstream saw them.</summary>
    public ConcurrentStack<string> Echoed { get; } = new();

    public ConcurrentQueue<string> Queries { get; } = new();

    /// <summary>Every request /api/scripted/{name} received, in order: its name, method and headers.</summary>
    public ConcurrentQueue<Received> Scripted { get; } = new();

    private readonly ConcurrentDictionary<string, Func<HttpContext, int, Task>> _scripts = new(StringComparer.Ordinal);

    /// <summary>
    /// What /api/scripted/{name} answers (any method): <paramref name="answer"/> is given the request and how many
    /// requests for that name arrived so far (1 for the first).
    /// </summary>
    public void Script(string name, Func<HttpContext, int, Task> answer) => _scripts[name] = answer;

    public IEnumerable<Received> ScriptedFor(string name) => Scripted.Where(r => r.Name == name);

    public sealed record Received(string Name, string Method, Dictionary<string, string> Headers)
    {
        public string? Header(string name) => Headers.TryGetValue(name, out var value) ? value : null;
    }

    public int Requests(string name) => _requests.GetValueOrDefault(name);

    private int _waiting;

    public int Waiting => Volatile.Read(ref _waiting);

    public void NextVersion() => Interlocked.Increment(ref _version);

    public void Close() => _gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Open() => Interlocked.Exchange(ref _gate, null)?.TrySetResult();

    public async Task StartAsync(int port = 0)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        var app = builder.Build();

        app.MapGet("/api/items/{id}", async (string id, HttpContext context) =>
        {
            Count("items");
            Queries.Enqueue(context.Request.QueryString.Value ?? "");
            await HoldAsync();

            return Fail
                ? Results.Text("upstream broke", "text/plain", statusCode: 500)
                : Results.Json(new { id, version = _version, query = context.Request.QueryString.Value ?? "" });
        });
        // An answer the upstream compressed itself.
        app.MapGet("/api/gzipped", (HttpContext c) =>
        {
            Count("gzipped");
            c.Response.Headers.ContentEncoding = "gzip";
            return Results.Bytes(Gzipped, "application/json");
        });
        // Whatever a route's transforms make of a request: the request line and every header, sorted.
        app.MapGet("/echo/{**rest}", (HttpContext c) =>
        {
            Count("echo");
            var seen = $"{c.Request.Method} {c.Request.Path}{c.Request.QueryString}\n" + string.Join(
                '\n',
                c.Request.Headers.Where(h => h.Key is not ("traceparent" or "tracestate" or "Request-Id" or "Content-Length"))
                    .OrderBy(h => h.Key, StringComparer.OrdinalIgnoreCase)
                    .Select(h => $"{h.Key.ToLowerInvariant()}: {h.Value}"));
            Echoed.Push(seen);
            return Results.Text(seen, "text/plain");
        });
        app.MapGet("/whoami", (HttpContext c) =>
        {
            Count("whoami");
            if (c.Request.Query.ContainsKey("public"))
            {
                c.Response.Headers.CacheControl = "public, max-age=60";
            }

            var who = c.Request.Headers.Authorization.Count == 0 ? "anonymous" : c.Request.Headers.Authorization.ToString();
            return Results.Text($"{who} #{Requests("whoami")}", "text/plain");
        });
        app.MapGet("/big", async (HttpContext c) =>
        {
            Count("big");
            c.Response.ContentType = "application/octet-stream";
            var chunk = new byte[64 * 1024];
            for (var i = 0; i < BigBytes / chunk.Length; i++)
            {
                chunk.AsSpan().Fill((byte)i);
                await c.Response.Body.WriteAsync(chunk);
            }
        });
        app.Map("/api/scripted/{name}", async (string name, HttpContext c) =>
        {
            Count("scripted:" + name);
            Scripted.Enqueue(new Received(name, c.Request.Method, c.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase)));
            await HoldAsync();
            if (_scripts.TryGetValue(name, out var answer))
            {
                await answer(c, Requests("scripted:" + name));
            }
            else
            {
                c.Response.StatusCode = 404;
            }
        });
        app.MapGet("/health", () => Unhealthy ? Results.StatusCode(503) : Results.Ok());
        app.MapGet("/api/nostore", (HttpContext c) => Answer(c, "nostore", "Cache-Control", "no-store"));
        app.MapGet("/api/private", (HttpContext c) => Answer(c, "private", "Cache-Control", "private, max-age=60"));
        app.MapGet("/api/cookie", (HttpContext c) => Answer(c, "cookie", "Set-Cookie", $"session={Guid.NewGuid():N}"));
        app.MapGet("/api/vary", (HttpContext c) =>
        {
            Count("vary");
            c.Response.Headers.Vary = "Accept-Language";
            return Results.Text($"hello in {c.Request.Headers.AcceptLanguage}");
        });
        app.MapGet("/api/vary-cookie", (HttpContext c) => Answer(c, "vary-cookie", "Vary", "Cookie"));
        app.MapGet("/api/secret", (HttpContext c) => Results.Text($"for {c.Request.Headers.Authorization}", "text/plain"))
            .AddEndpointFilter(async (ctx, next) =>
            {
                Count("secret");
                return await next(ctx);
            });
        app.MapPost("/api/echo", async (HttpContext c) =>
        {
            Count("echo");
            using var reader = new StreamReader(c.Request.Body);
            c.Response.Headers["X-Echo"] = c.Request.Headers["X-Client"].ToString();
            return Results.Text(await reader.ReadToEndAsync(), "text/plain", statusCode: 201);
        });
        app.MapGet("/plain/{**rest}", (HttpContext c) =>
        {
            Count("plain");
            c.Response.Headers["X-Upstream"] = "plain";
            return Results.Text($"plain {c.Request.Path}{c.Request.QueryString}", "text/plain", statusCode: 202);
        });
        app.MapGet("/ranking/{group}", (string group, int limit) =>
        {
            Count("ranking");
            return group == "missing"
                ? Results.NotFound()
                : Results.Json(new
                {
                    group,
                    generatedAt = DateTimeOffset.UtcNow - RankingAge,
                    entries = Enumerable.Range(1, Math.Min(limit, 3)).Select(i => new { rank = i, userId = $"remote{i}", score = 100 - i }),
                });
        });
        app.MapFallback((HttpContext c) =>
        {
            Count("fallback");
            return Results.Text("fallback", "text/plain");
        });

        await app.StartAsync();
        Address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        _app = app;
    }

    private static byte[] Gzip(string text)
    {
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.Fastest))
        {
            gzip.Write(Encoding.UTF8.GetBytes(text));
        }

        return buffer.ToArray();
    }

    public async Task StopAsync()
    {
        if (_app is { } app)
        {
            _app = null;
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        Open();
        await StopAsync();
    }

    private async Task Answer(HttpContext context, string name, string header, string value)
    {
        Count(name);
        await HoldAsync();
        context.Response.Headers.Append(header, value);
        await Results.Text($"{name} {Requests(name)}", "text/plain").ExecuteAsync(context);
    }

    // Holds the answer while the test keeps the gate closed: a slow upstream on demand.
    private async Task HoldAsync()
    {
        if (_gate is { } gate)
        {
            Interlocked.Increment(ref _waiting);
            await gate.Task;
            Interlocked.Decrement(ref _waiting);
        }
    }

    private void Count(string name) => _requests.AddOrUpdate(name, 1, (_, n) => n + 1);
}
