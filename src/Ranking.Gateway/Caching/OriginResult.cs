namespace Ranking.Gateway.Caching;

/// <summary>What an origin call came to: an answer (which may itself be a 5xx), or a failure.</summary>
internal readonly record struct OriginResult(OriginResponse? Response, OriginFailure? Failure)
{
    public static implicit operator OriginResult(OriginResponse response) => new(response, null);

    public static implicit operator OriginResult(OriginFailure failure) => new(null, failure);
}

/// <summary>How an origin call failed, as the origin-queries metric names it.</summary>
internal enum OriginFailureKind
{
    /// <summary>Unreachable, refused, or answered 5xx.</summary>
    Error,

    /// <summary>No answer within the policy's <c>OriginTimeout</c> or the origin client's own timeout.</summary>
    Timeout,

    /// <summary>Not asked: the policy's bulkhead (<c>MaxConcurrentFetches</c>, <c>MaxQueuedFetches</c>) was full.</summary>
    Overloaded,

    /// <summary>The gateway is stopping.</summary>
    Cancelled,
}

/// <summary>
/// An origin that failed, and no cached copy may stand in. <see cref="Response"/> is the origin's own error answer when
/// it gave one (an upstream 5xx), so a proxy can pass it through.
/// </summary>
internal sealed record OriginFailure(OriginFailureKind Kind, string Message, OriginResponse? Response = null, Exception? Cause = null)
{
    public bool Overloaded => Kind == OriginFailureKind.Overloaded;

    /// <summary>The failure as an exception, for logs and callers that report one.</summary>
    public Exception ToException() => Cause ?? new InvalidOperationException(Message);
}
