using System.Globalization;

namespace Ranking.Gateway.LoadTests.Hosting;

/// <summary>Starts <see cref="BaselineServer"/> as a child process: this runner's own dll with the hidden serve command.</summary>
internal static class BaselineProcess
{
    public static async Task<(ChildProcess Process, Uri Url)> StartAsync(
        byte[] body, IEnumerable<string> headers, string postgres, string logDirectory, HttpClient http)
    {
        var bodyFile = Path.Combine(logDirectory, "baseline-body.json");
        Directory.CreateDirectory(logDirectory);
        await File.WriteAllBytesAsync(bodyFile, body);
        var port = FreePort.Next();
        var url = new Uri($"http://127.0.0.1:{port}");
        var runner = typeof(BaselineProcess).Assembly.Location;
        string[] arguments = [runner, BaselineServer.Command, port.ToString(CultureInfo.InvariantCulture), bodyFile, postgres, .. headers];
        // The GC the gateway gets from the Web SDK (server, concurrent), not the load generator's.
        var environment = new Dictionary<string, string> { ["DOTNET_gcServer"] = "1", ["DOTNET_gcConcurrent"] = "1" };
        var (fileName, pinned) = CpuPinning.OnServerCpu("dotnet", arguments);
        var process = ChildProcess.Start("baseline", fileName, pinned, RepoPaths.Root, Path.Combine(logDirectory, "baseline.log"), environment);
        try
        {
            await process.WaitUntilAsync(
                async () =>
                {
                    try
                    {
                        using var response = await http.GetAsync(new Uri(url, "/health/live"));
                        return response.IsSuccessStatusCode;
                    }
                    catch (HttpRequestException)
                    {
                        return false;
                    }
                },
                TimeSpan.FromSeconds(30),
                $"listening at {url}");
        }
        catch
        {
            await process.DisposeAsync();
            throw;
        }

        return (process, url);
    }
}
