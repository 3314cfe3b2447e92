using System.Diagnostics;

namespace Ranking.Gateway.Tests.Infrastructure;

/// <summary>A redis-server of the test's own, so it can be stopped and started without disturbing other tests.</summary>
public sealed class RedisServer : IAsyncDisposable
{
    private Process? _process;

    public int Port { get; } = LocalPort.Free();

    public string ConnectionString => $"127.0.0.1:{Port}";

    public async Task StartAsync()
    {
        _process = Process.Start(new ProcessStartInfo("redis-server", $"--port {Port} --bind 127.0.0.1 --save \"\" --appendonly no")
        {
            RedirectStandardOutput = true,
            UseShellExecute = false,
        }) ?? throw new InvalidOperationException("redis-server did not start.");
        _process.OutputDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        await Eventually.Until(() => Task.FromResult(LocalPort.Accepts(Port)), ok => ok, $"redis-server on port {Port}");
    }

    public async Task StopAsync()
    {
        if (_process is { HasExited: false } process)
        {
            process.Kill();
            await process.WaitForExitAsync();
        }

        _process?.Dispose();
        _process = null;
    }

    public async ValueTask DisposeAsync() => await StopAsync();
}
