namespace Ranking.Gateway.LoadTests.Measurement;

/// <summary>A process's resident memory at one moment (/proc/PID/status), in bytes.</summary>
/// <param name="Rss">VmRSS: resident now.</param>
/// <param name="PeakRss">VmHWM: the most it has been resident since it started (the kernel's own peak, between samples too).</param>
internal readonly record struct MemoryReading(long Rss, long PeakRss)
{
    public static string MiB(long bytes) => $"{bytes / (1024.0 * 1024):N0} MiB";
}
