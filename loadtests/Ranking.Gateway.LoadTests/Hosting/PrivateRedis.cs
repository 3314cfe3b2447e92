using System.Globalization;

namespace Ranking.Gateway.LoadTests.Hosting;

/// <summary>A redis-server of the runner's own on a free port, so an outage disturbs nothing else on the machine.</summary>
internal sealed class PrivateRedis : IRedisControl
{
    private readonly int _port = FreePort.Next();
    private readonly string _logDirectory;
    private ChildProcess? _process;
    private int _starts;
    private bool _frozen;

    private PrivateRedis(string logDirectory)
    {
        _logDirectory = logDirectory;
    }

    public string ConnectionString => $"127.0.0.1:{_port}";

    public string Description => $"a redis-server of the runner's own at {ConnectionString}";

    public string StopStart => "the process ended and started again on the same port";

    private ChildProcess Running => _process ?? throw new InvalidOperationException("The private redis-server is not running.");

    public static async Task<PrivateRedis> StartNewAsync(string logDirectory)
    {
        var redis = new PrivateRedis(logDirectory);
        await redis.StartAsync();
        return redis;
    }

    public async Task StartAsync()
    {
        var port = _port.ToString(CultureInfo.InvariantCulture);
        var (fileName, arguments) = CpuPinning.Unpinned("redis-server", ["--port", port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]);
        _process = ChildProcess.Start("redis", fileName, arguments, RepoPaths.Root, Path.Combine(_logDirectory, $"redis-{++_starts}.log"));
        await _process.WaitUntilAsync(() => Task.FromResult(FreePort.Accepts(_port)), TimeSpan.FromSeconds(15), $"accepting connections on port {port}");
    }

    /// <summary>
    /// SIGSTOP: the process stays, with its keys and its clients' connections, but answers nothing (a stalled host, a
    /// long fork, a paused VM) until <see cref="ThawAsync"/>.
    /// </summary>
    public async Task FreezeAsync()
    {
        await Running.SignalAsync("STOP");
        _frozen = true;
    }

    /// <summary>SIGCONT: the frozen process carries on where it stopped.</summary>
    public async Task ThawAsync()
    {
        if (_frozen)
        {
            await Running.SignalAsync("CONT");
            _frozen = false;
        }
    }

    /// <summary>Like <c>redis-cli shutdown nosave</c>: the process goes, and every key with it.</summary>
    public async Task StopAsync()
    {
        // A stopped process would sit out SIGTERM's grace period.
        await ThawAsync();
        if (_process is not null)
        {
            await _process.DisposeAsync();
            _process = null;
        }
    }

    public async ValueTask DisposeAsync() => await StopAsync();
}
