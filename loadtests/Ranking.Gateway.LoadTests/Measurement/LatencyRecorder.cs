using System.Diagnostics;

namespace Ranking.Gateway.LoadTests.Measurement;

/// <summary>
/// Keeps every sample of a phase (a few hundred thousand at most, so exact percentiles from a sorted array beat
/// a histogram's buckets) and live counters for the progress line.
/// </summary>
internal sealed class LatencyRecorder
{
    private readonly Lock _gate = new();
    private readonly List<Sample> _samples = new(capacity: 64 * 1024);
    private long _count;
    private long _failures;

    public LatencyRecorder()
    {
        StartTimestamp = Stopwatch.GetTimestamp();
    }

    /// <summary>Stopwatch timestamp the phase started at; samples' start times are relative to it.</summary>
    public long StartTimestamp { get; }

    public long Count => Interlocked.Read(ref _count);

    /// <summary>Non-2xx answers plus requests that got no answer.</summary>
    public long Failures => Interlocked.Read(ref _failures);

    public void Record(Sample sample)
    {
        lock (_gate)
        {
            _samples.Add(sample);
        }

        Interlocked.Increment(ref _count);
        if (!sample.IsSuccess)
        {
            Interlocked.Increment(ref _failures);
        }
    }

    public Sample[] Snapshot()
    {
        lock (_gate)
        {
            return [.. _samples];
        }
    }
}
