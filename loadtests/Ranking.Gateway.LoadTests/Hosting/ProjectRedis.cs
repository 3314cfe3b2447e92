using System.Diagnostics;
using System.Globalization;

namespace Ranking.Gateway.LoadTests.Hosting;

/// <summary>
/// The project's Redis (scripts/services-up.sh): stopped alone with <c>redis-cli shutdown nosave</c>
/// (services-down.sh would stop PostgreSQL too) and started again by services-up.sh, which restarts what is down.
/// Anything else using this Redis sees the outage too.
/// </summary>
internal sealed class ProjectRedis(string connectionString) : IRedisControl
{
    public string ConnectionString => connectionString;

    public string Description => $"the project's Redis at {connectionString}";

    public string StopStart => "stopped with redis-cli shutdown nosave, started with scripts/services-up.sh";

    private int Port => int.Parse(connectionString[(connectionString.LastIndexOf(':') + 1)..], CultureInfo.InvariantCulture);

    public async Task StopAsync()
    {
        await RunAsync("redis-cli", "-p", Port.ToString(CultureInfo.InvariantCulture), "shutdown", "nosave");
        await WaitAsync(() => !FreePort.Accepts(Port), "stop");
    }

    public async Task StartAsync()
    {
        // Unpinned: the Redis (and PostgreSQL) it starts would otherwise inherit the pinned runner's CPU.
        var (fileName, arguments) = CpuPinning.Unpinned("bash", [Path.Combine(RepoPaths.Root, "scripts", "services-up.sh")]);
        var (code, output) = await RunAsync(fileName, [.. arguments]);
        if (code != 0)
        {
            throw new SetupException($"scripts/services-up.sh failed (exit {code}):\n{output}");
        }

        await WaitAsync(() => FreePort.Accepts(Port), "start");
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private async Task WaitAsync(Func<bool> done, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!done())
        {
            if (clock.Elapsed > TimeSpan.FromSeconds(15))
            {
                throw new SetupException($"Redis on port {Port} did not {what} within 15 s.");
            }

            await Task.Delay(50);
        }
    }

    private static async Task<(int Code, string Output)> RunAsync(string fileName, params string[] arguments)
    {
        var info = new ProcessStartInfo(fileName, arguments)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = RepoPaths.Root,
        };
        using var process = Process.Start(info) ?? throw new SetupException($"'{fileName}' did not start.");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await output + await error);
    }
}
