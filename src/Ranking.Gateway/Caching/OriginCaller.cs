using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Threading.RateLimiting;
using Ranking.Gateway.Hosting;

namespace Ranking.Gateway.Caching;

/// <summary>What a fetch came to: the entry built from the origin's answer and whether it may be stored, or a failure.</summary>
internal readonly record struct Fetched(CacheEntry? Entry, bool Storable, OriginFailure? Failure)
{
    public static Fetched Failed(OriginFailure failure) => new(null, false, failure);
}

/// <summary>
/// Calls an origin for the cache: within the policy's bulkhead (at most <c>MaxConcurrentFetches</c> at once on this
/// instance, <c>MaxQueuedFetches</c> waiting, each at most <c>OriginTimeout</c>; past that the origin is not asked), with its <c>OriginTimeout</c>, counted
/// and logged, and turns the answer into an entry. Never throws: whatever the origin does is a <see cref="Fetched"/>.
/// </summary>
internal sealed partial class OriginCaller(CacheMetrics metrics, OriginHealth health, TimeProvider time, IHostApplicationLifetime lifetime, ILogger<OriginCaller> logger)
{
    private readonly CancellationToken _stopping = lifetime.ApplicationStopping;
    private readonly ConditionalWeakTable<CachePolicy, ConcurrencyLimiter> _bulkheads = [];

    public async Task<Fetched> FetchAsync(IOrigin origin, string policyName, OriginRequest request)
    {
        using var activity = GatewayTracing.Source.StartActivity(GatewayTracing.OriginFetch);
        activity?.SetTag(GatewayTracing.Policy, policyName).SetTag(GatewayTracing.FetchReason, request.Reason == FetchReason.Miss ? "miss" : "refresh");
        var fetched = await FetchWithinBulkheadAsync(origin, policyName, request);
        if (activity is not null)
        {
            activity.SetTag(GatewayTracing.Outcome, fetched.Failure is { } failure ? Outcome(failure.Kind) : fetched.Storable ? "ok" : "not-stored");
            if (fetched.Failure is { } failed)
            {
                activity.SetStatus(ActivityStatusCode.Error, failed.Message);
            }
        }

        return fetched;
    }

    private async Task<Fetched> FetchWithinBulkheadAsync(IOrigin origin, string policyName, OriginRequest request)
    {
        var policy = request.Policy;
        using var slot = await AcquireSlotAsync(policy);
        if (slot is not { IsAcquired: true })
        {
            metrics.FetchRejected(policyName);
            return Fetched.Failed(new OriginFailure(OriginFailureKind.Overloaded, "Too many origin fetches are under way."));
        }

        var startedAt = time.GetUtcNow();
        var started = time.GetTimestamp();
        OriginResult result;
        using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stopping))
        {
            timeout.CancelAfter(policy.OriginTimeout);
            try
            {
                result = await origin.FetchAsync(request, timeout.Token);
            }
            catch (Exception ex)
            {
                // Anything thrown is the origin's failure: a cancellation is a timeout, ours (OriginTimeout) or the origin
                // client's own, unless the gateway is stopping.
                var kind = _stopping.IsCancellationRequested ? OriginFailureKind.Cancelled
                    : ex is OperationCanceledException ? OriginFailureKind.Timeout
                    : OriginFailureKind.Error;
                result = new OriginFailure(kind, $"The origin failed ({Outcome(kind)}).", Cause: ex);
            }
        }

        var duration = time.GetElapsedTime(started);
        if (result.Response is { IsServerError: true } serverError)
        {
            metrics.OriginQuery(policyName, "error", duration);
            return Fetched.Failed(new OriginFailure(OriginFailureKind.Error, $"The origin answered {serverError.StatusCode}.", serverError));
        }

        if (result.Failure is { } failure)
        {
            if (_stopping.IsCancellationRequested)
            {
                failure = failure with { Kind = OriginFailureKind.Cancelled };
            }

            metrics.OriginQuery(policyName, Outcome(failure.Kind), duration);
            if (failure.Kind != OriginFailureKind.Cancelled)
            {
                Log.OriginFailed(logger, policyName, Outcome(failure.Kind), failure.Message, failure.Cause);
            }

            return Fetched.Failed(failure);
        }

        metrics.OriginQuery(policyName, "ok", duration);
        health.Answered();
        var response = result.Response!;
        var (entry, notStored) = EntryFactory.Create(policy, response, startedAt, duration);
        if (notStored is not null)
        {
            metrics.NotStored(policyName, notStored);
        }
        else if (response.Revalidated)
        {
            metrics.Unchanged(policyName, "not-modified");
        }
        else if (request.Previous is { } previous && previous.StatusCode == entry.StatusCode && previous.Body.AsSpan().SequenceEqual(entry.Body))
        {
            // The same answer again: keep the stored bytes (and what was made of them, compressed copies and slices) and
            // its ETag; only the lifetimes are new.
            metrics.Unchanged(policyName, "same-body");
            entry = entry with { Body = previous.Body, ETag = previous.ETag };
        }

        return new Fetched(entry, notStored is null, null);
    }

    private static string Outcome(OriginFailureKind kind) => kind switch
    {
        OriginFailureKind.Timeout => "timeout",
        OriginFailureKind.Cancelled => "cancelled",
        _ => "error",
    };

    // A slot of the policy's bulkhead: at once when one is free (no timer), else waited for at most OriginTimeout (on the
    // gateway's clock); null when that ran out.
    private async Task<RateLimitLease?> AcquireSlotAsync(CachePolicy policy)
    {
        var bulkhead = Bulkhead(policy);
        var free = bulkhead.AttemptAcquire(1);
        if (free.IsAcquired)
        {
            return free;
        }

        free.Dispose();
        using var waited = new CancellationTokenSource(policy.OriginTimeout, time);
        try
        {
            return await bulkhead.AcquireAsync(1, waited.Token);
        }
        catch (OperationCanceledException) when (waited.IsCancellationRequested)
        {
            return null;
        }
    }

    private ConcurrencyLimiter Bulkhead(CachePolicy policy) => _bulkheads.GetValue(policy, static p => new ConcurrencyLimiter(new ConcurrencyLimiterOptions
    {
        PermitLimit = p.MaxConcurrentFetches,
        QueueLimit = p.MaxQueuedFetches,
        QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
    }));

    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.OriginFailed, Level = LogLevel.Warning, Message = "Origin call for policy {Policy} failed ({Outcome}): {Reason}")]
        public static partial void OriginFailed(ILogger logger, string policy, string outcome, string reason, Exception? exception);
    }
}
