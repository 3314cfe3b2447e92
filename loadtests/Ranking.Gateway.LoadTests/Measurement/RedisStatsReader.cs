using System.Diagnostics;
using System.Globalization;

namespace Ranking.Gateway.LoadTests.Measurement;

/// <summary>
/// Reads <see cref="RedisStats"/> with <c>redis-cli INFO all</c>: the runner has no Redis client of its own (it only
/// ever needs these counters, and the key clean-up already uses redis-cli).
/// </summary>
internal sealed class RedisStatsReader(string connectionString)
{
    private string? _problem;

    /// <summary>Why Redis' counters could not be read, or null.</summary>
    public string? Problem => _problem;

    public async Task<RedisStats> ReadAsync(CancellationToken cancellationToken)
    {
        if (_problem is not null)
        {
            return RedisStats.Unavailable;
        }

        var separator = connectionString.LastIndexOf(':');
        var info = new ProcessStartInfo("redis-cli", ["-h", connectionString[..separator], "-p", connectionString[(separator + 1)..], "INFO", "all"])
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        try
        {
            using var process = Process.Start(info) ?? throw new InvalidOperationException("redis-cli did not start.");
            var output = await process.StandardOutput.ReadToEndAsync(cancellationToken);
            await process.WaitForExitAsync(cancellationToken);
            if (process.ExitCode != 0 || !output.Contains("# Commandstats", StringComparison.Ordinal))
            {
                _problem = $"redis-cli INFO failed (exit {process.ExitCode}): {await process.StandardError.ReadToEndAsync(cancellationToken)}".Trim();
                return RedisStats.Unavailable;
            }

            return Parse(output);
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            _problem = $"redis-cli cannot be run ({ex.Message}); Redis commands are n/a";
            return RedisStats.Unavailable;
        }
    }

    // cmdstat_get:calls=12,usec=34,usec_per_call=2.83,rejected_calls=0,failed_calls=0  and  used_cpu_sys:1.23
    private static RedisStats Parse(string info)
    {
        var calls = new Dictionary<string, long>();
        var cpu = 0.0;
        foreach (var raw in info.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            if (line.StartsWith("cmdstat_", StringComparison.Ordinal) && line.IndexOf(':', StringComparison.Ordinal) is > 0 and var colon)
            {
                var field = line[(colon + 1)..].Split(',').FirstOrDefault(f => f.StartsWith("calls=", StringComparison.Ordinal));
                if (field is not null && long.TryParse(field["calls=".Length..], NumberStyles.None, CultureInfo.InvariantCulture, out var n))
                {
                    calls[line["cmdstat_".Length..colon]] = n;
                }
            }
            else if ((line.StartsWith("used_cpu_sys:", StringComparison.Ordinal) || line.StartsWith("used_cpu_user:", StringComparison.Ordinal))
                && double.TryParse(line[(line.IndexOf(':', StringComparison.Ordinal) + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds))
            {
                cpu += seconds;
            }
        }

        return new RedisStats(calls, cpu);
    }
}
