using System.Diagnostics;

namespace Ranking.Gateway.LoadTests.Hosting;

/// <summary>A process the runner started: its output goes to a log file; stopping asks politely (SIGTERM) first.</summary>
internal sealed class ChildProcess : IAsyncDisposable
{
    // Every child still running, so a crash of the runner does not leave gateways behind.
    private static readonly HashSet<Process> Running = [];

    private readonly Process _process;
    private readonly StreamWriter _log;
    private readonly Lock _logGate = new();
    private bool _logClosed;

    private ChildProcess(string name, Process process, StreamWriter log, string logPath)
    {
        Name = name;
        _process = process;
        _log = log;
        LogPath = logPath;
    }

    public string Name { get; }

    public string LogPath { get; }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>
    /// CPU time (user + system, all threads) used so far: on Linux .NET reads utime + stime of /proc/PID/stat.
    /// Under --pin the child is started through taskset, which execs it under the same pid.
    /// </summary>
    public TimeSpan CpuTime
    {
        get
        {
            _process.Refresh();
            return _process.HasExited ? TimeSpan.Zero : _process.TotalProcessorTime;
        }
    }

    public static ChildProcess Start(
        string name, string fileName, IEnumerable<string> arguments, string workingDirectory, string logPath,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(logPath)!);
        var info = new ProcessStartInfo(fileName)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[key] = value;
        }

        var log = new StreamWriter(logPath) { AutoFlush = true };
        Process process;
        try
        {
            process = Process.Start(info) ?? throw new SetupException($"{name}: '{fileName}' did not start.");
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            log.Dispose();
            throw new SetupException($"{name}: cannot run '{fileName}': {ex.Message}");
        }

        lock (Running)
        {
            Running.Add(process);
        }

        var child = new ChildProcess(name, process, log, logPath);
        process.OutputDataReceived += (_, e) => child.Write(e.Data);
        process.ErrorDataReceived += (_, e) => child.Write(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return child;
    }

    /// <summary>Waits until <paramref name="isReady"/> holds; fails with the log's tail if the process exits first.</summary>
    public async Task WaitUntilAsync(Func<Task<bool>> isReady, TimeSpan timeout, string what)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < timeout)
        {
            if (_process.HasExited)
            {
                throw new SetupException($"{Name} exited (code {_process.ExitCode}) before {what}. Last lines of {LogPath}:\n{Tail()}");
            }

            if (await isReady())
            {
                return;
            }

            await Task.Delay(100);
        }

        throw new SetupException($"{Name} was not {what} within {timeout.TotalSeconds:0} s. Last lines of {LogPath}:\n{Tail()}");
    }

    public async Task StopAsync()
    {
        if (!_process.HasExited)
        {
            await SignalAsync("TERM");

            using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try
            {
                await _process.WaitForExitAsync(grace.Token);
            }
            catch (OperationCanceledException)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }
        }
    }

    /// <summary>Sends a signal by name (<c>TERM</c>, <c>STOP</c>, <c>CONT</c>) with kill(1); .NET sends only SIGKILL itself.</summary>
    public async Task SignalAsync(string signal)
    {
        using var kill = Process.Start(new ProcessStartInfo("kill", [$"-{signal}", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]) { UseShellExecute = false });
        await (kill?.WaitForExitAsync() ?? Task.CompletedTask);
    }

    /// <summary>Kills every child still running (the runner is going down unexpectedly).</summary>
    public static void KillAll()
    {
        lock (Running)
        {
            foreach (var process in Running)
            {
                try
                {
                    process.Kill(entireProcessTree: true);
                }
                catch (InvalidOperationException)
                {
                    // Already gone.
                }
            }

            Running.Clear();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        lock (Running)
        {
            Running.Remove(_process);
        }

        _process.Dispose();
        lock (_logGate)
        {
            _logClosed = true;
            _log.Dispose();
        }
    }

    private void Write(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_logGate)
        {
            if (!_logClosed)
            {
                _log.WriteLine(line);
            }
        }
    }

    private string Tail()
    {
        lock (_logGate)
        {
            _log.Flush();
        }

        using var reader = new StreamReader(new FileStream(LogPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite));
        var lines = reader.ReadToEnd().Split('\n');
        return string.Join('\n', lines.TakeLast(20));
    }
}
