using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Ranking.Gateway.Caching;

/// <summary>
/// The cache's OpenTelemetry instruments. Tags are bounded enums and policy names; never a key or group id.
/// </summary>
internal sealed class CacheMetrics
{
    public const string MeterName = "Ranking.Gateway";

    private readonly Counter<long> _answers;
    private readonly Counter<long> _originQueries;
    private readonly Histogram<double> _originDuration;
    private readonly Counter<long> _revalidations;
    private readonly Counter<long> _lockAttempts;
    private readonly Histogram<double> _entryAge;
    private readonly Counter<long> _corruptEntries;
    private readonly Counter<long> _redisFailures;
    private readonly Counter<long> _fetchesRejected;
    private readonly Counter<long> _notStored;
    private readonly Counter<long> _unchanged;
    private readonly Counter<long> _l1Checks;
    private readonly long[] _answered = new long[CacheStatusNames.All.Count];
    private long _originCalls;

    public CacheMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(MeterName);
        _answers = meter.CreateCounter<long>("gateway.cache.answers", description: "Answers by cache status.");
        _originQueries = meter.CreateCounter<long>("gateway.origin.queries", description: "Calls to an origin, by outcome.");
        _originDuration = meter.CreateHistogram<double>("gateway.origin.duration", unit: "s", description: "Latency of origin calls.");
        _revalidations = meter.CreateCounter<long>("gateway.cache.revalidations", description: "Background refreshes, by outcome.");
        _lockAttempts = meter.CreateCounter<long>("gateway.cache.lock_attempts", description: "Refresh lock attempts, by outcome.");
        _entryAge = meter.CreateHistogram<double>("gateway.cache.entry_age", unit: "s", description: "Age of the entries answers were served from.");
        _corruptEntries = meter.CreateCounter<long>("gateway.cache.corrupt_entries", description: "Entries in Redis that could not be read.");
        _redisFailures = meter.CreateCounter<long>("gateway.redis.failures", description: "Failed Redis commands.");
        _fetchesRejected = meter.CreateCounter<long>("gateway.origin.rejected", description: "Origin fetches not made: the policy's bulkhead was full.");
        _notStored = meter.CreateCounter<long>("gateway.cache.not_stored", description: "Origin answers the cache may not keep, by reason.");
        _unchanged = meter.CreateCounter<long>("gateway.origin.unchanged", description: "Origin answers that kept the stored body: a 304 to a revalidation, or a recompute with the same bytes.");
        _l1Checks = meter.CreateCounter<long>("gateway.cache.l1_checks", description: "In-process copies compared with Redis after L1Max: unchanged (the copy goes on answering) or changed (replaced).");
    }

    /// <summary>
    /// Publishes every counter at zero for each policy and outcome, so dashboards and alerts see the series from the
    /// start rather than only after the first event.
    /// </summary>
    public void PublishZeros(IEnumerable<string> policies)
    {
        foreach (var policy in policies)
        {
            foreach (var status in CacheStatusNames.All)
            {
                _answers.Add(0, new TagList { { "policy", policy }, { "status", status } });
            }

            foreach (var outcome in new[] { "ok", "error", "timeout", "cancelled" })
            {
                _originQueries.Add(0, new TagList { { "policy", policy }, { "outcome", outcome } });
            }

            foreach (var outcome in new[] { "refreshed", "not-stored", "already-fresh", "lock-busy", "redis-unavailable", "origin-failed", "overloaded", "cancelled", "error" })
            {
                _revalidations.Add(0, new TagList { { "policy", policy }, { "outcome", outcome } });
            }

            _fetchesRejected.Add(0, new KeyValuePair<string, object?>("policy", policy));
            foreach (var how in new[] { "not-modified", "same-body" })
            {
                _unchanged.Add(0, new TagList { { "policy", policy }, { "how", how } });
            }
        }

        foreach (var outcome in new[] { "acquired", "busy", "failed", "unavailable" })
        {
            _lockAttempts.Add(0, new KeyValuePair<string, object?>("outcome", outcome));
        }

        foreach (var result in new[] { "unchanged", "changed" })
        {
            _l1Checks.Add(0, new KeyValuePair<string, object?>("result", result));
        }

        _corruptEntries.Add(0);
        _redisFailures.Add(0);
    }

    /// <summary>Answers this instance gave since it started, by status (for the operator console; metrics are the record).</summary>
    public long Answered(CacheStatus status) => Interlocked.Read(ref _answered[(int)status]);

    /// <summary>Single-key origin calls this instance made since it started, whatever their outcome.</summary>
    public long OriginCalls => Interlocked.Read(ref _originCalls);

    public void Answer(string policy, CacheStatus status, TimeSpan age)
    {
        Interlocked.Increment(ref _answered[(int)status]);
        var tags = new TagList { { "policy", policy }, { "status", CacheStatusNames.Of(status) } };
        _answers.Add(1, tags);
        _entryAge.Record(Math.Max(0, age.TotalSeconds), tags);
    }

    public void OriginQuery(string policy, string outcome, TimeSpan duration)
    {
        Interlocked.Increment(ref _originCalls);
        var tags = new TagList { { "policy", policy }, { "outcome", outcome } };
        _originQueries.Add(1, tags);
        _originDuration.Record(duration.TotalSeconds, tags);
    }

    public void Revalidation(string policy, string outcome) =>
        _revalidations.Add(1, new TagList { { "policy", policy }, { "outcome", outcome } });

    public void LockAttempt(string outcome) => _lockAttempts.Add(1, new KeyValuePair<string, object?>("outcome", outcome));

    public void CorruptEntry() => _corruptEntries.Add(1);

    public void L1Check(bool unchanged) => _l1Checks.Add(1, new KeyValuePair<string, object?>("result", unchanged ? "unchanged" : "changed"));

    public void RedisFailure() => _redisFailures.Add(1);

    /// <param name="reason">A fixed word (<c>no-store</c>, <c>private</c>, <c>unparseable-cache-control</c>, …), never a header value.</param>
    public void NotStored(string policy, string reason) => _notStored.Add(1, new TagList { { "policy", policy }, { "reason", reason } });

    public void Unchanged(string policy, string how) => _unchanged.Add(1, new TagList { { "policy", policy }, { "how", how } });

    public void FetchRejected(string policy) => _fetchesRejected.Add(1, new KeyValuePair<string, object?>("policy", policy));
}
