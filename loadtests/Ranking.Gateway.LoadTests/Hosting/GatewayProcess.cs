namespace Ranking.Gateway.LoadTests.Hosting;

/// <summary>
/// One gateway instance started from its built dll, on a free port, with the repository as content root (so
/// it reads the real appsettings.json) and the run's settings as command-line overrides.
/// </summary>
internal sealed class GatewayProcess : IAsyncDisposable
{
    private readonly ChildProcess _process;

    private GatewayProcess(ChildProcess process, Uri url)
    {
        _process = process;
        Url = url;
    }

    public Uri Url { get; }

    public int Id => _process.Id;

    public string Name => _process.Name;

    public string LogPath => _process.LogPath;

    /// <summary>CPU time the instance has used so far.</summary>
    public TimeSpan CpuTime => _process.CpuTime;

    /// <param name="settings">Configuration overrides, <c>Key=Value</c> (keys use ':').</param>
    public static async Task<GatewayProcess> StartAsync(string name, string dll, IEnumerable<string> settings, string logPath, HttpClient http)
    {
        if (!File.Exists(dll))
        {
            throw new SetupException($"the gateway is not built: {dll} is missing. Build it with `dotnet build src/Ranking.Gateway -c Release`, or pass --gateway.");
        }

        var url = new Uri($"http://127.0.0.1:{FreePort.Next()}");
        string[] arguments = [dll, "--contentRoot", RepoPaths.Root, "--urls", url.ToString().TrimEnd('/'), .. settings.Select(s => "--" + s)];
        var (fileName, pinned) = CpuPinning.OnServerCpu("dotnet", arguments);
        var process = ChildProcess.Start(name, fileName, pinned, RepoPaths.Root, logPath);
        var gateway = new GatewayProcess(process, url);
        try
        {
            await process.WaitUntilAsync(() => IsReadyAsync(http, url), TimeSpan.FromSeconds(60), $"ready at {url}health/ready");
        }
        catch
        {
            await gateway.DisposeAsync();
            throw;
        }

        return gateway;
    }

    /// <summary>SIGKILL: the instance dies at once, mid-request, mid-batch, holding whatever it held (a crash).</summary>
    public Task KillAsync() => _process.SignalAsync("KILL");

    public ValueTask DisposeAsync() => _process.DisposeAsync();

    private static async Task<bool> IsReadyAsync(HttpClient http, Uri url)
    {
        try
        {
            using var response = await http.GetAsync(new Uri(url, "/health/ready"));
            return response.IsSuccessStatusCode;
        }
        catch (HttpRequestException)
        {
            return false;
        }
    }
}
