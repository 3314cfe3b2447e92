using Ranking.Gateway.LoadTests.Load;
using Ranking.Gateway.LoadTests.Measurement;

namespace Ranking.Gateway.LoadTests.Scenarios;

/// <summary>
/// Baselines measured in the same run as the scenario, so its figures can be read as ratios that survive a
/// noisy machine: the gateway's FRESH-hit path against a minimal Kestrel endpoint returning the same bytes
/// from memory (the ceiling) and against querying PostgreSQL on every request (no cache at all).
/// </summary>
internal static class Baselines
{
    public const string HitGroup = "g1";

    private static readonly string[] CopiedHeaders = ["Content-Type", "ETag", "Cache-Control", "X-Cache-Status", "Cache-Status", "Age"];

    public static async Task<BaselineResult?> MeasureAsync(TestBed bed, int groups, CancellationToken cancellationToken)
    {
        var args = bed.Args;
        if (args.BaselineDuration <= TimeSpan.Zero)
        {
            return null;
        }

        Console.Error.WriteLine($"Baselines: {args.BaselineDuration.TotalSeconds:0.#} s each, {args.BaselineConcurrency} closed-loop clients ...");
        var hitUri = bed.RankingUri(bed.HitGateway, HitGroup);
        var (body, headers) = await CaptureAsync(bed.Client.Http, hitUri, cancellationToken);
        var server = await bed.StartBaselineServerAsync(body, headers);
        var memoryUri = new Uri(server, "/memory");
        await Burst.WarmConnectionsAsync(bed.Client, [bed.HitGateway, server], args.BaselineConcurrency);

        var client = bed.Client;
        var (concurrency, duration, seed) = (args.BaselineConcurrency, args.BaselineDuration, args.Seed);
        RequestPlan memory = (_, _) => (memoryUri, 0);
        RequestPlan hitPath = (_, _) => (hitUri, 1);
        RequestPlan originPath = (_, random) =>
        {
            var group = random.Next(1, groups + 1);
            return (new Uri(server, $"/origin/g{group}?limit={args.Limit}"), group);
        };

        await Warmup.TargetAsync(client, memory);
        var ceiling = await ClosedLoop.RunAsync(client, "ceiling", "in-memory Kestrel endpoint, same bytes", concurrency, duration, memory, seed);
        await Warmup.TargetAsync(client, hitPath);
        var hit = await ClosedLoop.RunAsync(client, "gateway hit", $"gateway FRESH hit, one group ({HitGroup})", concurrency, duration, hitPath, seed);
        await Warmup.TargetAsync(client, originPath);
        var origin = await ClosedLoop.RunAsync(client, "origin", "PostgreSQL on every request (no cache), random groups", concurrency, duration, originPath, seed);

        var half = hit.RequestsPerSecond / 2;
        var hitAtHalf = await OpenLoop.RunAsync(client, "gateway hit @50%", $"gateway FRESH hit, open loop at {half:N0} req/s (half its peak)", half, duration, (_, _) => (hitUri, 1), seed);
        var ceilingAtHalf = await OpenLoop.RunAsync(client, "ceiling @50%", $"in-memory endpoint, open loop at {half:N0} req/s", half, duration, (_, _) => (memoryUri, 0), seed);
        return new BaselineResult(ceiling, hit, origin, hitAtHalf, ceilingAtHalf);
    }

    /// <summary>Reads the hit group until the gateway answers it from cache, and keeps that answer to serve from memory.</summary>
    public static async Task<(byte[] Body, string[] Headers)> CaptureAsync(HttpClient http, Uri uri, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < 20; attempt++)
        {
            using var response = await http.GetAsync(uri, cancellationToken);
            var body = await response.Content.ReadAsByteArrayAsync(cancellationToken);
            if (response.IsSuccessStatusCode && response.Headers.TryGetValues("X-Cache-Status", out var status) && status.First() == "FRESH")
            {
                var headers = CopiedHeaders
                    .Select(name => response.Headers.TryGetValues(name, out var values) || response.Content.Headers.TryGetValues(name, out values)
                        ? $"{name}: {string.Join(", ", values)}"
                        : null)
                    .OfType<string>()
                    .ToArray();
                return (body, headers);
            }

            await Task.Delay(100, cancellationToken);
        }

        throw new Hosting.SetupException($"{uri} never answered FRESH; the FRESH-hit baseline needs a group that exists and a fresh window of some seconds.");
    }
}
