using System.Globalization;

namespace Ranking.Gateway.LoadTests.Hosting;

/// <summary>
/// nginx <c>proxy_cache</c> in front of an upstream, as a baseline for the gateway's FRESH hit: the settings a
/// stale-while-revalidate cache would be given (<c>proxy_cache_use_stale updating</c>, background update, cache lock),
/// 2 workers, everything (config, cache, temp files, pid, error log) in a folder of the run's own, <c>daemon off</c>
/// so the runner owns the master process and stops it with the rest. Two servers: <see cref="Plain"/>, and
/// <see cref="Gzip"/> with <c>gzip on</c>, which compresses every answer to a client that accepts gzip.
/// </summary>
internal sealed class NginxCache : IAsyncDisposable
{
    /// <summary>The header nginx adds with <c>$upstream_cache_status</c> (HIT, MISS, UPDATING, ...).</summary>
    public const string StatusHeader = "X-Nginx-Cache";

    private const int Workers = 2;

    private readonly ChildProcess _process;

    private NginxCache(ChildProcess process, Uri plain, Uri gzip, string version)
    {
        _process = process;
        Plain = plain;
        Gzip = gzip;
        Version = version;
    }

    public Uri Plain { get; }

    public Uri Gzip { get; }

    /// <summary>What <c>nginx -v</c> printed, e.g. "nginx/1.22.1".</summary>
    public string Version { get; }

    public int Id => _process.Id;

    public string Description =>
        $"{Version}, {Workers} workers, proxy_cache (use_stale updating, background_update, lock; valid 10m, upstream Cache-Control ignored), "
        + $"access_log off, keepalive_requests 1000000, at {Plain}; the same with gzip on (level 1, application/json) at {Gzip}";

    /// <summary>nginx on PATH (or in /usr/sbin, which a non-root PATH often lacks); null when it is not installed.</summary>
    public static string? Find() =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries).Append("/usr/sbin")
            .Select(dir => Path.Combine(dir, "nginx"))
            .FirstOrDefault(File.Exists);

    /// <param name="upstream">Where nginx fetches from: the same bytes and headers the gateway answers with.</param>
    public static async Task<NginxCache> StartAsync(string nginx, Uri upstream, string logDirectory, HttpClient http)
    {
        var directory = Path.Combine(logDirectory, "nginx");
        Directory.CreateDirectory(directory);
        var (plainPort, gzipPort) = (FreePort.Next(), FreePort.Next());
        var config = Path.Combine(directory, "nginx.conf");
        await File.WriteAllTextAsync(config, Config(directory, upstream, plainPort, gzipPort));
        var version = await VersionAsync(nginx);

        var (fileName, arguments) = CpuPinning.OnServerCpu(nginx, ["-p", directory, "-c", config, "-e", Path.Combine(directory, "error.log")]);
        var process = ChildProcess.Start("nginx", fileName, arguments, directory, Path.Combine(logDirectory, "nginx.log"));
        var cache = new NginxCache(process, Url(plainPort), Url(gzipPort), version);
        try
        {
            await process.WaitUntilAsync(
                async () =>
                {
                    try
                    {
                        using var response = await http.GetAsync(new Uri(cache.Gzip, "/health/live"));
                        return response.IsSuccessStatusCode;
                    }
                    catch (HttpRequestException)
                    {
                        return false;
                    }
                },
                TimeSpan.FromSeconds(15),
                $"answering at {cache.Plain} and {cache.Gzip} (its errors: {Path.Combine(directory, "error.log")})");
        }
        catch
        {
            await cache.DisposeAsync();
            throw;
        }

        return cache;
    }

    public ValueTask DisposeAsync() => _process.DisposeAsync();

    private static Uri Url(int port) => new($"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}");

    private static async Task<string> VersionAsync(string nginx)
    {
        using var process = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo(nginx, ["-v"]) { RedirectStandardError = true, UseShellExecute = false })
            ?? throw new SetupException($"cannot run {nginx}.");
        var output = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return output.Trim().Replace("nginx version: ", "", StringComparison.Ordinal);
    }

    // Root starts the workers as root too (the default user, nobody, could not write the run's folder); another user
    // runs them as itself, and nginx ignores "user" then.
    private static string Config(string directory, Uri upstream, int plainPort, int gzipPort)
    {
        var location = $$"""
                location / {
                    proxy_pass http://upstream;
                    proxy_http_version 1.1;
                    proxy_set_header Connection "";
                    proxy_cache answers;
                    proxy_cache_valid 200 10m;
                    proxy_ignore_headers Cache-Control Expires Set-Cookie;
                    proxy_cache_use_stale updating error timeout;
                    proxy_cache_background_update on;
                    proxy_cache_lock on;
                    add_header {{StatusHeader}} $upstream_cache_status always;
                }
                location = /health/live {
                    return 200 "Healthy";
                }
            """;
        return $$"""
            {{(Environment.UserName == "root" ? "user root;" : "")}}
            worker_processes {{Workers}};
            daemon off;
            master_process on;
            pid {{directory}}/nginx.pid;
            error_log {{directory}}/error.log warn;

            events {
                worker_connections 8192;
            }

            http {
                access_log off;
                server_tokens off;
                keepalive_requests 1000000;
                client_body_temp_path {{directory}}/client_body;
                proxy_temp_path {{directory}}/proxy;
                fastcgi_temp_path {{directory}}/fastcgi;
                uwsgi_temp_path {{directory}}/uwsgi;
                scgi_temp_path {{directory}}/scgi;
                proxy_cache_path {{directory}}/cache levels=1:2 keys_zone=answers:64m max_size=4g inactive=60m use_temp_path=off;

                upstream upstream {
                    server {{upstream.Host}}:{{upstream.Port.ToString(CultureInfo.InvariantCulture)}};
                    keepalive 16;
                }

                server {
                    listen 127.0.0.1:{{plainPort.ToString(CultureInfo.InvariantCulture)}} backlog=4096;
            {{location}}
                }

                server {
                    listen 127.0.0.1:{{gzipPort.ToString(CultureInfo.InvariantCulture)}} backlog=4096;
                    gzip on;
                    gzip_types application/json;
                    gzip_vary on;
                    gzip_proxied any;
            {{location}}
                }
            }
            """;
    }
}
