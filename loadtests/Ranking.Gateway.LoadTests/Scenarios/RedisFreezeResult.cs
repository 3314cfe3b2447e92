using Ranking.Gateway.LoadTests.Measurement;
using Ranking.Gateway.LoadTests.Report;

namespace Ranking.Gateway.LoadTests.Scenarios;

/// <summary>
/// A steady run with Redis frozen in it: the phase, when each signal was sent (from the phase's start), and what the
/// gateways counted meanwhile.
/// </summary>
/// <param name="L1">How long an instance keeps its own copy of an entry (the policy's L1).</param>
/// <param name="Rejected">Origin fetches the bulkheads turned away (gateway_origin_rejected_total).</param>
/// <param name="RedisFailures">Redis commands that failed or timed out (gateway_redis_failures_total).</param>
internal sealed record RedisFreezeResult(PhaseResult Phase, TimeSpan FrozenAt, TimeSpan ThawedAt, TimeSpan L1, double Rejected, double RedisFailures)
{
    public IReadOnlyList<Marker> Markers => [new(FrozenAt, "SIGSTOP"), new(ThawedAt, "SIGCONT")];

    /// <summary>
    /// From SIGCONT to the first request that went through Redis again (FRESH, STALE or MISS), among those sent after
    /// SIGCONT and after every in-process copy read from Redis before the freeze had expired (SIGSTOP + L1): an answer
    /// from such a copy would say FRESH without Redis having been asked.
    /// </summary>
    public TimeSpan? Resumed
    {
        get
        {
            var from = ThawedAt > FrozenAt + L1 ? ThawedAt : FrozenAt + L1;
            return Since(ThawedAt, s => s.At >= from && s.Answer is CacheAnswer.Fresh or CacheAnswer.Stale or CacheAnswer.Miss).Min();
        }
    }

    /// <summary>From SIGCONT to the last BYPASS (negative if it came before).</summary>
    public TimeSpan? LastBypass => Since(ThawedAt, s => s.Answer == CacheAnswer.Bypass).Max();

    /// <summary>From SIGSTOP to the first BYPASS of a request sent after it.</summary>
    public TimeSpan? FirstBypass => Since(FrozenAt, s => s.At >= FrozenAt && s.Answer == CacheAnswer.Bypass).Min();

    public double BypassShare => (double)Phase.Answers[CacheAnswer.Bypass] / Math.Max(1, Phase.Samples.Length);

    private IEnumerable<TimeSpan?> Since(TimeSpan from, Func<(TimeSpan At, CacheAnswer Answer), bool> which) =>
        Phase.Samples.Select(s => (At: System.Diagnostics.Stopwatch.GetElapsedTime(0, s.StartTicks), s.Answer)).Where(which).Select(s => (TimeSpan?)(s.At - from));
}
