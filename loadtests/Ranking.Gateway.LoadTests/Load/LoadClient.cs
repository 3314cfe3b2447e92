using System.Diagnostics;
using System.Net;
using Ranking.Gateway.LoadTests.Measurement;

namespace Ranking.Gateway.LoadTests.Load;

/// <summary>
/// Sends the load: one <see cref="SocketsHttpHandler"/> for the whole run, with room for thousands of
/// connections per server, so every client of a stampede has a socket of its own.
/// </summary>
internal sealed class LoadClient : IDisposable
{
    private const string CacheStatusHeader = "X-Cache-Status";

    /// <param name="acceptEncoding">An <c>Accept-Encoding</c> every request sends (the body is read as it comes, not decompressed).</param>
    /// <param name="maxConnectionsPerServer">Fewer connections than requests in flight make the rest wait for one, as with wrk's -c.</param>
    public LoadClient(string? acceptEncoding = null, int maxConnectionsPerServer = 100_000)
    {
        Http = new HttpClient(new SocketsHttpHandler
        {
            MaxConnectionsPerServer = maxConnectionsPerServer,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
            ConnectTimeout = TimeSpan.FromSeconds(10),
            AutomaticDecompression = DecompressionMethods.None,
            AllowAutoRedirect = false,
            UseCookies = false,
            UseProxy = false,
        })
        {
            Timeout = TimeSpan.FromSeconds(30),
        };
        if (acceptEncoding is not null)
        {
            Http.DefaultRequestHeaders.Add("Accept-Encoding", acceptEncoding);
        }
    }

    /// <summary>For control requests (health, metrics, warm-up), sharing the load's connection pool.</summary>
    public HttpClient Http { get; }

    /// <summary>Sends one GET and reads the whole body; latency counts from <paramref name="dueTimestamp"/>.</summary>
    /// <param name="answers">When given, each 2xx body's generatedAt goes there (compare-modes' staleness).</param>
    public async Task<Sample> SendAsync(Uri uri, int group, long dueTimestamp, long phaseStart, AnswerLog? answers = null)
    {
        short status = 0;
        var answer = CacheAnswer.Error;
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, uri);
            using var response = await Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
            var body = answers is null ? null : await response.Content.ReadAsByteArrayAsync();
            if (body is null)
            {
                await response.Content.CopyToAsync(Stream.Null);
            }

            status = (short)response.StatusCode;
            answer = response.Headers.TryGetValues(CacheStatusHeader, out var values) ? Parse(values.FirstOrDefault()) : CacheAnswer.None;
            if (body is not null && response.IsSuccessStatusCode)
            {
                answers!.Record(group, answer, body, DateTimeOffset.UtcNow);
            }
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or IOException)
        {
            // Counted as an error sample: a load test reports failures, it does not stop on them.
        }

        return new Sample(dueTimestamp - phaseStart, Stopwatch.GetTimestamp() - dueTimestamp, status, answer, group);
    }

    public void Dispose() => Http.Dispose();

    private static CacheAnswer Parse(string? value) => value switch
    {
        "FRESH" => CacheAnswer.Fresh,
        "STALE" => CacheAnswer.Stale,
        "MISS" => CacheAnswer.Miss,
        "BYPASS" => CacheAnswer.Bypass,
        _ => CacheAnswer.None,
    };
}
