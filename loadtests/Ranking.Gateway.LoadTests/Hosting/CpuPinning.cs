using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;

namespace Ranking.Gateway.LoadTests.Hosting;

/// <summary>
/// --pin: the servers the runner starts (gateways, baseline server) run on CPU 0 and the load generator (the
/// runner) on CPU 1, so open-loop latency measures the server rather than the generator's scheduling. The
/// runner pins itself by running again under <c>taskset -c 1</c> (every thread and child inherits it from the
/// start) and starts the servers under <c>taskset -c 0</c>; what it starts that should stay where it would be
/// otherwise (a private redis-server, services-up.sh restarting the project's Redis) goes back on every CPU the
/// runner had before pinning.
/// </summary>
internal static class CpuPinning
{
    public const string ServerCpu = "0";
    public const string GeneratorCpu = "1";

    // Set for the pinned runner: the CPUs the runner was allowed before it pinned itself, e.g. "0-1".
    private const string UnpinnedCpusVariable = "LOADTESTS_UNPINNED_CPUS";

    /// <summary>The CPUs the runner had before pinning itself; null when not pinned.</summary>
    public static string? UnpinnedCpus { get; } = Environment.GetEnvironmentVariable(UnpinnedCpusVariable);

    public static bool IsPinned => UnpinnedCpus is not null;

    /// <summary>CPUs of the machine the runner may use (Environment.ProcessorCount is 1 once pinned).</summary>
    public static int MachineCpus => UnpinnedCpus is { } cpus ? Count(cpus) : Environment.ProcessorCount;

    /// <summary>A server's command line: under <c>taskset -c 0</c> when pinned, unchanged otherwise.</summary>
    public static (string FileName, IEnumerable<string> Arguments) OnServerCpu(string fileName, IEnumerable<string> arguments) =>
        IsPinned ? ("taskset", ["-c", ServerCpu, fileName, .. arguments]) : (fileName, arguments);

    /// <summary>A command line on every CPU the runner had before pinning (Redis, PostgreSQL), so it does not inherit CPU 1.</summary>
    public static (string FileName, IEnumerable<string> Arguments) Unpinned(string fileName, IEnumerable<string> arguments) =>
        UnpinnedCpus is { } cpus ? ("taskset", ["-c", cpus, fileName, .. arguments]) : (fileName, arguments);

    /// <summary>The CPUs a process may run on (<c>Cpus_allowed_list</c> of /proc/PID/status), or "?".</summary>
    public static string AllowedCpus(int pid)
    {
        try
        {
            var line = File.ReadLines($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/status")
                .FirstOrDefault(l => l.StartsWith("Cpus_allowed_list:", StringComparison.Ordinal));
            return line?.Split(':', 2)[1].Trim() ?? "?";
        }
        catch (IOException)
        {
            return "?";
        }
    }

    /// <summary>
    /// Runs the runner again under <c>taskset -c 1</c> with the same arguments and returns its exit code. Ctrl+C
    /// reaches both (one process group), and a signal sent to this process alone is passed on, so the pinned
    /// runner always stops its gateways itself.
    /// </summary>
    public static async Task<int> RunPinnedAsync(IReadOnlyList<string> args)
    {
        if (!OperatingSystem.IsLinux() || Environment.ProcessorCount < 2)
        {
            await Console.Error.WriteLineAsync("error: --pin needs Linux (taskset) and at least 2 CPUs.");
            return 2;
        }

        var info = new ProcessStartInfo("taskset", ["-c", GeneratorCpu, "dotnet", typeof(CpuPinning).Assembly.Location, .. args]) { UseShellExecute = false };
        var cpus = AllowedCpus(Environment.ProcessId);
        info.Environment[UnpinnedCpusVariable] = cpus == "?" ? $"0-{Environment.ProcessorCount - 1}" : cpus;
        Process pinned;
        try
        {
            pinned = Process.Start(info) ?? throw new InvalidOperationException("taskset did not start.");
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            await Console.Error.WriteLineAsync($"error: --pin runs the runner under taskset (util-linux), which cannot be run: {ex.Message}");
            return 3;
        }

        using (pinned)
        {
            void PassOn(PosixSignalContext context)
            {
                context.Cancel = true;
                var signal = context.Signal == PosixSignal.SIGINT ? "-INT" : "-TERM";
                using var kill = Process.Start(new ProcessStartInfo("kill", [signal, pinned.Id.ToString(CultureInfo.InvariantCulture)]) { UseShellExecute = false });
                kill?.WaitForExit();
            }

            using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, PassOn);
            using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, PassOn);
            await pinned.WaitForExitAsync();
            return pinned.ExitCode;
        }
    }

    // A cpu list such as "0-1" or "0,2-3".
    private static int Count(string list) => list.Split(',').Sum(range => range.Split('-') is [var first, var last]
        ? int.Parse(last, CultureInfo.InvariantCulture) - int.Parse(first, CultureInfo.InvariantCulture) + 1
        : 1);
}
