using System.Collections.Concurrent;
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

    public string Address { get; private set; } = "";

    /// <summary>When set, /api/items answers 500.</summary>
    public volatile bool Fail;

    public ConcurrentQueue<string> Queries { get; } = new();

    public int Requests(string name) => _requests.GetValueOrDefault(name);

    public int Waiting { get; private set; }

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
            if (_gate is { } gate)
            {
                Waiting++;
                await gate.Task;
                Waiting--;
            }

            return Fail
                ? Results.Text("upstream broke", "text/plain", statusCode: 500)
                : Results.Json(new { id, version = _version, query = context.Request.QueryString.Value ?? "" });
        });
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
                    generatedAt = DateTimeOffset.UnixEpoch,
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

    private IResult Answer(HttpContext context, string name, string header, string value)
    {
        Count(name);
        context.Response.Headers.Append(header, value);
        return Results.Text($"{name} {Requests(name)}", "text/plain");
    }

    private void Count(string name) => _requests.AddOrUpdate(name, 1, (_, n) => n + 1);
}
