using System.Net;
using System.Net.Http.Headers;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Ranking.Gateway.Benchmarks;

/// <summary>
/// One FRESH hit through the gateway's real middleware, in memory (TestServer: no sockets), for the ranking endpoint
/// and for a cached proxy route, with and without <c>If-None-Match</c> (a 304), the ranking also br-compressed, beside a bare endpoint that writes the
/// same bytes (body and cache headers, as constants) from memory. Needs the project's Redis and PostgreSQL (<c>scripts/services-up.sh</c>), found through
/// <c>ConnectionStrings__Redis</c> and <c>ConnectionStrings__Postgres</c> as the tests find them; it seeds one group (in a `bench` schema of its own) and
/// warms its entry (one MISS) before measuring. The entries' fresh window and L1 lifetime are long, so every measured
/// request is a FRESH hit from the in-process L1.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(ShortInProcess))]
public class FreshHitBenchmarks
{
    private const string Group = "bench-top100";
    private const string RankingPath = "/ranking/" + Group;
    private const string ProxyPath = "/api/items/1";

    private readonly byte[] _buffer = new byte[64 * 1024];
    private WebApplication _upstream = null!;
    private Gateway _gateway = null!;
    private WebApplication _bare = null!;
    private HttpClient _gatewayClient = null!;
    private HttpClient _bareClient = null!;
    private string _rankingETag = "";
    private string _proxyETag = "";
    private byte[] _body = [];

    [GlobalSetup]
    public void Setup() => SetupAsync().GetAwaiter().GetResult();

    [GlobalCleanup]
    public void Cleanup()
    {
        _gatewayClient.Dispose();
        _bareClient.Dispose();
        _gateway.Dispose();
        _bare.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _upstream.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    [Benchmark(Baseline = true, Description = "bare endpoint, same bytes")]
    public Task<int> Bare() => SendAsync(_bareClient, RankingPath, null, HttpStatusCode.OK);

    [Benchmark(Description = "ranking FRESH 200")]
    public Task<int> Ranking() => SendAsync(_gatewayClient, RankingPath, null, HttpStatusCode.OK);

    [Benchmark(Description = "ranking FRESH 200, ?limit=10 (a kept slice)")]
    public Task<int> RankingLimit() => SendAsync(_gatewayClient, RankingPath + "?limit=10", null, HttpStatusCode.OK);

    [Benchmark(Description = "ranking FRESH 304 (If-None-Match)")]
    public Task<int> RankingNotModified() => SendAsync(_gatewayClient, RankingPath, _rankingETag, HttpStatusCode.NotModified);

    [Benchmark(Description = "ranking FRESH 200, br (Accept-Encoding)")]
    public Task<int> RankingBrotli() => SendAsync(_gatewayClient, RankingPath, null, HttpStatusCode.OK, "br");

    [Benchmark(Description = "proxied route FRESH 200")]
    public Task<int> Proxy() => SendAsync(_gatewayClient, ProxyPath, null, HttpStatusCode.OK);

    [Benchmark(Description = "proxied route FRESH 304 (If-None-Match)")]
    public Task<int> ProxyNotModified() => SendAsync(_gatewayClient, ProxyPath, _proxyETag, HttpStatusCode.NotModified);

    private async Task SetupAsync()
    {
        var redis = Environment.GetEnvironmentVariable("ConnectionStrings__Redis") ?? "127.0.0.1:6479";
        var postgres = Environment.GetEnvironmentVariable("ConnectionStrings__Postgres")
            ?? "Host=127.0.0.1;Port=5479;Database=ranking;Username=ranking;Password=ranking";
        // Its own table, in a schema of its own that the gateway's connection searches first, so the project's
        // `ranking` database keeps only what scripts/run.sh loads (its demo data loads into an empty table only).
        postgres = new NpgsqlConnectionStringBuilder(postgres) { SearchPath = "bench,public" }.ConnectionString;
        await SeedAsync(postgres);

        // The cached route's upstream: answers the ranking's bytes (set below), reached only by the warm-up miss.
        var upstream = WebApplication.CreateSlimBuilder();
        upstream.WebHost.UseUrls("http://127.0.0.1:0");
        upstream.Logging.ClearProviders();
        _upstream = upstream.Build();
        _upstream.MapGet("/api/items/{id}", (HttpContext context) => Results.Bytes(_body, "application/json; charset=utf-8"));
        await _upstream.StartAsync();

        _gateway = new Gateway(new Dictionary<string, string?>
        {
            ["ConnectionStrings:Redis"] = redis,
            ["ConnectionStrings:Postgres"] = postgres,
            ["Gateway:KeyPrefix"] = $"bench:{Guid.NewGuid():N}:",
            ["Gateway:RedisTimeout"] = "00:00:05",
            ["Gateway:Policies:ranking:Fresh"] = "01:00:00",
            ["Gateway:Policies:ranking:FreshJitter"] = "00:00:00",
            ["Gateway:Policies:ranking:L1"] = "00:59:00",
            ["Gateway:Policies:upstream:Fresh"] = "01:00:00",
            ["Gateway:Policies:upstream:FreshJitter"] = "00:00:00",
            ["Gateway:Policies:upstream:L1"] = "00:59:00",
            ["ReverseProxy:Routes:cached:ClusterId"] = "existing",
            ["ReverseProxy:Routes:cached:Match:Path"] = "/api/{**rest}",
            ["ReverseProxy:Routes:cached:Metadata:CachePolicy"] = "upstream",
            ["ReverseProxy:Clusters:existing:Destinations:d1:Address"] = _upstream.Urls.First(),
            ["Logging:LogLevel:Default"] = "Warning",
        });
        // The TestServer's own client, as the bare endpoint's: no cookie or redirect handlers.
        _gatewayClient = _gateway.Server.CreateClient();

        var warm = await _gatewayClient.GetAsync(RankingPath);
        warm.EnsureSuccessStatusCode();
        _body = await warm.Content.ReadAsByteArrayAsync();
        _rankingETag = warm.Headers.ETag!.Tag;
        var proxied = await _gatewayClient.GetAsync(ProxyPath);
        proxied.EnsureSuccessStatusCode();
        _proxyETag = proxied.Headers.ETag!.Tag;
        foreach (var path in new[] { RankingPath, ProxyPath })
        {
            var hit = await _gatewayClient.GetAsync(path);
            var status = hit.Headers.GetValues("X-Cache-Status").Single();
            if (status != "FRESH")
            {
                throw new InvalidOperationException($"{path} answered {status} after its warm-up, not FRESH.");
            }
        }

        // A host built as the gateway's (WebApplication.CreateBuilder, its logging: like its appsettings.json, no per-request
        // Activity and log scope, which an enabled Microsoft.AspNetCore.Hosting.Diagnostics logger would start), with one
        // endpoint and nothing else.
        var bare = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Benchmark", ContentRootPath = AppContext.BaseDirectory });
        bare.WebHost.UseTestServer();
        bare.Logging.SetMinimumLevel(LogLevel.Warning);
        bare.Logging.AddFilter("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.None);
        _bare = bare.Build();
        // The same bytes: the gateway's body and, as constants, the headers its FRESH hit carries.
        var body = _body;
        var cacheHeaders = new[] { "X-Cache-Status", "Cache-Status", "Age", "ETag", "Cache-Control", "Vary" }
            .Select(name => (Name: name, Value: string.Join(", ", warm.Headers.TryGetValues(name, out var values) ? values : [])))
            .Where(header => header.Value.Length > 0)
            .ToArray();
        cacheHeaders[0].Value = "FRESH";
        cacheHeaders[1].Value = "Ranking.Gateway; hit; ttl=3599";
        _bare.MapGet("/ranking/{group}", (HttpContext context) =>
        {
            var headers = context.Response.Headers;
            foreach (var (name, value) in cacheHeaders)
            {
                headers[name] = value;
            }

            context.Response.ContentType = "application/json; charset=utf-8";
            context.Response.ContentLength = body.Length;
            return context.Response.Body.WriteAsync(body).AsTask();
        });
        await _bare.StartAsync();
        _bareClient = _bare.GetTestClient();
    }

    private async Task<int> SendAsync(HttpClient client, string path, string? etag, HttpStatusCode expected, string? acceptEncoding = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (acceptEncoding is not null)
        {
            request.Headers.AcceptEncoding.ParseAdd(acceptEncoding);
        }

        if (etag is not null)
        {
            request.Headers.IfNoneMatch.Add(new EntityTagHeaderValue(etag));
        }

        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        if (response.StatusCode != expected)
        {
            throw new InvalidOperationException($"{path} answered {(int)response.StatusCode}, not {(int)expected}.");
        }

        await using var stream = await response.Content.ReadAsStreamAsync();
        var total = 0;
        int read;
        while ((read = await stream.ReadAsync(_buffer)) > 0)
        {
            total += read;
        }

        return total;
    }

    private static async Task SeedAsync(string postgres)
    {
        await using var connection = new NpgsqlConnection(postgres);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            """
            CREATE SCHEMA IF NOT EXISTS bench;
            CREATE TABLE IF NOT EXISTS bench.ranking_scores (LIKE public.ranking_scores INCLUDING ALL);
            DELETE FROM bench.ranking_scores WHERE group_id = @g;
            INSERT INTO bench.ranking_scores (group_id, user_id, score)
            SELECT @g, 'user-' || i, 1000000 - i * 7 FROM generate_series(1, 100) AS i;
            """,
            connection);
        command.Parameters.AddWithValue("g", Group);
        await command.ExecuteNonQueryAsync();
    }

    private sealed class Gateway(Dictionary<string, string?> settings) : WebApplicationFactory<Program>
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            builder.UseContentRoot(AppContext.BaseDirectory);
            builder.UseEnvironment("Benchmark");
            builder.ConfigureAppConfiguration((_, config) => config.AddInMemoryCollection(settings));
        }
    }

    /// <summary>A short run in this process (no generated project to build): a few minutes for all the cases.</summary>
    private sealed class ShortInProcess : ManualConfig
    {
        public ShortInProcess() =>
            AddJob(Job.Default
                .WithToolchain(InProcessEmitToolchain.Instance)
                .WithLaunchCount(1)
                .WithWarmupCount(3)
                .WithIterationCount(15));
    }
}
