namespace Ranking.Gateway.LoadTests.Scenarios.Audit;

/// <summary>
/// What one mode's audit found, from the writer's log and every answer every instance gave:
/// </summary>
/// <param name="Lost">Writes some instance never showed by the end of the run (every instance must show every write).</param>
/// <param name="Late">Writes shown later than the mode's bound (<see cref="AuditPlan.Bound"/>) with no fault near them.</param>
/// <param name="Lag">Commit to first showing, per write and instance, milliseconds: p50, p99, max.</param>
/// <param name="FailedCached">Answers other than 2xx for a group the instance had answered 2xx before.</param>
/// <param name="Regressions">Answers that showed a user's score lower than an earlier answer of the same instance slot did.</param>
/// <param name="Statuses">How the 2xx answers were served, by X-Cache-Status.</param>
internal sealed record AuditResult(
    string Mode,
    int Writes,
    int Lost,
    int Late,
    (double P50, double P99, double Max) Lag,
    int Reads,
    int Unanswered,
    int FailedCached,
    int Regressions,
    IReadOnlyDictionary<string, int> Statuses,
    IReadOnlyList<string> Examples)
{
    /// <param name="quiet">Windows (UTC ticks) far from every fault, where a write must show within the bound.</param>
    public static AuditResult Of(string mode, IReadOnlyList<AuditWrite> writes, IReadOnlyList<AuditReader> readers, Func<long, bool> quiet)
    {
        var bound = AuditPlan.Bound(mode).Ticks;
        var lags = new List<double>();
        var (lost, late) = (0, 0);
        var examples = new List<string>();
        foreach (var reader in readers)
        {
            var byGroup = reader.Answers.Where(a => a.Scores is not null).GroupBy(a => a.Group).ToDictionary(g => g.Key, g => g.OrderBy(a => a.ReceivedAt).ToArray());
            foreach (var write in writes)
            {
                var shown = byGroup.GetValueOrDefault(write.Group, []).FirstOrDefault(a => a.ReceivedAt > write.CommittedAt && a.Scores![write.User] >= write.Score);
                if (shown is null)
                {
                    lost++;
                    Example(examples, $"lost: g{write.Group} u{write.User} score {write.Score} committed {Time(write.CommittedAt)}, never shown by instance slot {reader.Slot}");
                    continue;
                }

                var lag = shown.ReceivedAt - write.CommittedAt;
                lags.Add(TimeSpan.FromTicks(lag).TotalMilliseconds);
                if (lag > bound && quiet(write.CommittedAt))
                {
                    late++;
                    Example(examples, $"late: g{write.Group} u{write.User} committed {Time(write.CommittedAt)}, shown by slot {reader.Slot} {TimeSpan.FromTicks(lag).TotalSeconds:0.0} s later");
                }
            }
        }

        var answers = readers.SelectMany(r => r.Answers).ToArray();
        var sorted = lags.Order().ToArray();
        return new AuditResult(
            mode,
            writes.Count,
            lost,
            late,
            sorted.Length == 0 ? (double.NaN, double.NaN, double.NaN) : (Measurement.Quantiles.At(sorted, 0.5), Measurement.Quantiles.At(sorted, 0.99), sorted[^1]),
            answers.Length,
            readers.Sum(r => r.Unanswered),
            CountFailedCached(answers, examples),
            CountRegressions(answers, examples),
            answers.Where(a => a.Scores is not null).GroupBy(a => a.CacheStatus).ToDictionary(g => g.Key, g => g.Count()),
            examples);
    }

    // Per instance slot and group, in the order the answers came: once a 2xx came, anything else is a failure the cache
    // should have covered.
    private static int CountFailedCached(IEnumerable<AuditAnswer> answers, List<string> examples)
    {
        var failed = 0;
        foreach (var series in answers.GroupBy(a => (a.Slot, a.Group)))
        {
            var cached = false;
            foreach (var answer in series.OrderBy(a => a.ReceivedAt))
            {
                if (answer.Scores is not null)
                {
                    cached = true;
                }
                else if (cached)
                {
                    failed++;
                    Example(examples, $"failed: g{answer.Group} answered {answer.Status} by slot {answer.Slot} at {Time(answer.ReceivedAt)}, after a 2xx");
                }
            }
        }

        return failed;
    }

    // Per instance slot, group and user, in the order the answers came: a score lower than one shown before.
    private static int CountRegressions(IEnumerable<AuditAnswer> answers, List<string> examples)
    {
        var regressions = 0;
        foreach (var series in answers.Where(a => a.Scores is not null).GroupBy(a => (a.Slot, a.Group)))
        {
            var highest = new long[AuditPlan.Users + 1];
            foreach (var answer in series.OrderBy(a => a.SentAt))
            {
                for (var user = 1; user <= AuditPlan.Users; user++)
                {
                    if (answer.Scores![user] < highest[user])
                    {
                        regressions++;
                        Example(examples, $"regression: g{answer.Group} u{user} shown {answer.Scores[user]} by slot {answer.Slot} at {Time(answer.ReceivedAt)} after {highest[user]}");
                        break;
                    }

                    highest[user] = Math.Max(highest[user], answer.Scores[user]);
                }
            }
        }

        return regressions;
    }

    private static void Example(List<string> examples, string line)
    {
        if (examples.Count < 12)
        {
            examples.Add(line);
        }
    }

    private static string Time(long ticks) => new DateTimeOffset(ticks, TimeSpan.Zero).ToString("HH:mm:ss.fff", System.Globalization.CultureInfo.InvariantCulture);
}
