using System.Globalization;

namespace Ranking.Gateway.LoadTests.Measurement;

/// <summary>Reads a process's <see cref="MemoryReading"/> from /proc/PID/status, as ps and top do.</summary>
internal static class ProcessMemory
{
    /// <returns>Null when the process is gone (or this is not Linux).</returns>
    public static MemoryReading? Read(int pid)
    {
        long? rss = null, peak = null;
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/status"))
            {
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                {
                    rss = Kilobytes(line);
                }
                else if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                {
                    peak = Kilobytes(line);
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }

        return rss is { } r && peak is { } p ? new MemoryReading(r * 1024, p * 1024) : null;
    }

    // "VmRSS:     93456 kB"
    private static long Kilobytes(string line) =>
        long.Parse(line.AsSpan(line.IndexOf(':') + 1).Trim().TrimEnd("kB").Trim(), NumberStyles.None, CultureInfo.InvariantCulture);
}
