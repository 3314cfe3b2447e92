namespace Ranking.Gateway.LoadTests.Measurement;

/// <summary>
/// The staleness readers actually saw. An answer is behind when the writer committed a change to its group after
/// the answer's <c>generatedAt</c> and before the answer was received; its staleness is how long before the answer
/// was received that first such change was committed. This is what a reader of a ranking notices, whatever the
/// entry's age or X-Cache-Status says.
/// </summary>
/// <param name="Answers">2xx answers received in the window.</param>
/// <param name="WithoutGeneratedAt">Of those, answers whose body had no readable generatedAt (not judged).</param>
/// <param name="Behind">Answers that were behind.</param>
/// <param name="FreshAnswers">Answers marked FRESH.</param>
/// <param name="FreshBehind">FRESH answers that were behind.</param>
/// <param name="P50">Staleness of the answers behind, seconds (NaN when none were).</param>
internal sealed record StalenessSummary(int Answers, int WithoutGeneratedAt, int Behind, int FreshAnswers, int FreshBehind, double P50, double P99, double Max)
{
    public double BehindShare => Answers - WithoutGeneratedAt > 0 ? (double)Behind / (Answers - WithoutGeneratedAt) : double.NaN;

    public double FreshBehindShare => FreshAnswers > 0 ? (double)FreshBehind / FreshAnswers : double.NaN;

    /// <param name="from">Start of the window, UTC ticks: answers received from then on count.</param>
    /// <param name="to">End of the window, UTC ticks.</param>
    public static StalenessSummary Of(IEnumerable<ObservedAnswer> answers, WriteLog writes, long from, long to)
    {
        var inWindow = answers.Where(a => a.ReceivedAt >= from && a.ReceivedAt < to).ToArray();
        var judged = inWindow.Where(a => a.HasGeneratedAt).ToArray();
        var behind = judged
            .Select(a => (a.Answer, Commit: writes.FirstCommitBetween(a.Group, a.GeneratedAt, a.ReceivedAt), a.ReceivedAt))
            .Where(a => a.Commit is not null)
            .ToArray();
        var seconds = behind.Select(a => TimeSpan.FromTicks(a.ReceivedAt - a.Commit!.Value).TotalSeconds).Order().ToArray();
        return new StalenessSummary(
            inWindow.Length,
            inWindow.Length - judged.Length,
            behind.Length,
            judged.Count(a => a.Answer == CacheAnswer.Fresh),
            behind.Count(a => a.Answer == CacheAnswer.Fresh),
            seconds.Length > 0 ? Quantiles.At(seconds, 0.5) : double.NaN,
            seconds.Length > 0 ? Quantiles.At(seconds, 0.99) : double.NaN,
            seconds.Length > 0 ? seconds[^1] : double.NaN);
    }
}
