using System.Diagnostics;

namespace Ranking.Gateway.LoadTests.Measurement;

/// <summary>What one phase of a run measured: throughput, latency, answers by cache status, failures, origin queries.</summary>
internal sealed class PhaseResult
{
    public PhaseResult(string name, string description, Sample[] samples, TimeSpan elapsed, long notSent = 0, long late = 0)
    {
        Late = late;
        Name = name;
        Description = description;
        Samples = samples;
        Elapsed = elapsed;
        NotSent = notSent;
        Latency = LatencySummary.Of(samples);
        Answers = Enum.GetValues<CacheAnswer>().ToDictionary(a => a, a => samples.Count(s => s.Answer == a));
        NonSuccess = samples.Where(s => s.StatusCode != 0 && !s.IsSuccess).GroupBy(s => (int)s.StatusCode).ToDictionary(g => g.Key, g => g.Count());
        DistinctGroups = samples.Where(s => s.Group > 0).Select(s => s.Group).Distinct().Count();
    }

    public string Name { get; }

    public string Description { get; }

    public Sample[] Samples { get; }

    public TimeSpan Elapsed { get; }

    /// <summary>Open loop only: requests that were due but not sent because too many were already in flight.</summary>
    public long NotSent { get; }

    /// <summary>Open loop only: requests the load generator sent more than 5 ms after they were due.</summary>
    public long Late { get; }

    public LatencySummary Latency { get; }

    public IReadOnlyDictionary<CacheAnswer, int> Answers { get; }

    /// <summary>HTTP answers outside 2xx, by status code.</summary>
    public IReadOnlyDictionary<int, int> NonSuccess { get; }

    public int NonSuccessCount => NonSuccess.Values.Sum();

    /// <summary>Requests that got no HTTP answer.</summary>
    public int Errors => Answers[CacheAnswer.Error];

    public int DistinctGroups { get; }

    public double RequestsPerSecond => Elapsed > TimeSpan.Zero ? Samples.Length / Elapsed.TotalSeconds : 0;

    /// <summary>Origin queries counted while the phase ran, when they were counted.</summary>
    public OriginDelta? Origin { get; set; }

    public LatencySummary LatencyOf(CacheAnswer answer) => LatencySummary.Of(Samples.Where(s => s.Answer == answer));

    /// <summary>Samples per whole second of the phase, by when each request was due.</summary>
    public IReadOnlyList<Sample[]> PerSecond()
    {
        var seconds = Math.Max(1, (int)Math.Ceiling(Elapsed.TotalSeconds));
        var buckets = Enumerable.Range(0, seconds).Select(_ => new List<Sample>()).ToArray();
        foreach (var sample in Samples)
        {
            buckets[Math.Clamp((int)(sample.StartTicks / Stopwatch.Frequency), 0, seconds - 1)].Add(sample);
        }

        return buckets.Select(b => b.ToArray()).ToArray();
    }
}
