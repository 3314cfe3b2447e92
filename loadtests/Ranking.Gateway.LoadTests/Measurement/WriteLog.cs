namespace Ranking.Gateway.LoadTests.Measurement;

/// <summary>When the score writer's commits to each group returned, in commit order (UTC ticks, the runner's clock).</summary>
internal sealed class WriteLog
{
    private readonly Lock _gate = new();
    private readonly Dictionary<int, List<long>> _commits = [];
    private readonly List<double> _commitMs = [];
    private long _groupsWritten;

    /// <summary>Group writes committed so far (a group written in two seconds counts twice).</summary>
    public long GroupsWritten => Interlocked.Read(ref _groupsWritten);

    public void Committed(IEnumerable<int> groups, DateTimeOffset committedAt, TimeSpan took)
    {
        lock (_gate)
        {
            foreach (var group in groups)
            {
                if (!_commits.TryGetValue(group, out var list))
                {
                    _commits[group] = list = [];
                }

                list.Add(committedAt.UtcTicks);
                _groupsWritten++;
            }

            _commitMs.Add(took.TotalMilliseconds);
        }
    }

    /// <summary>Group writes committed in [<paramref name="from"/>, <paramref name="to"/>) (UTC ticks), and the distinct groups among them.</summary>
    public (long Writes, int Groups) Between(long from, long to)
    {
        lock (_gate)
        {
            var counts = _commits.Select(c => c.Value.Count(t => t >= from && t < to)).Where(n => n > 0).ToArray();
            return (counts.Sum(), counts.Length);
        }
    }

    /// <summary>The first commit to <paramref name="group"/> after <paramref name="after"/> and at or before <paramref name="until"/>, or null.</summary>
    public long? FirstCommitBetween(int group, long after, long until)
    {
        lock (_gate)
        {
            if (!_commits.TryGetValue(group, out var list))
            {
                return null;
            }

            var i = list.BinarySearch(after + 1);
            i = i < 0 ? ~i : i;
            return i < list.Count && list[i] <= until ? list[i] : null;
        }
    }

    /// <summary>How long the writer's UPDATE statements took, milliseconds (p50, p99, max), for the report.</summary>
    public (double P50, double P99, double Max) CommitLatency()
    {
        lock (_gate)
        {
            if (_commitMs.Count == 0)
            {
                return (double.NaN, double.NaN, double.NaN);
            }

            var sorted = _commitMs.Order().ToArray();
            return (Quantiles.At(sorted, 0.5), Quantiles.At(sorted, 0.99), sorted[^1]);
        }
    }
}
