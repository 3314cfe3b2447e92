namespace Ranking.Gateway.Caching;

/// <summary>
/// The origin failed, or was not asked because too many fetches were under way, and no cached copy may stand in.
/// <see cref="Response"/> is the origin's own error answer when it gave one (an upstream 5xx), so a proxy can pass it
/// through.
/// </summary>
internal sealed class OriginUnavailableException(string message, OriginResponse? response = null, Exception? inner = null, bool overloaded = false)
    : Exception(message, inner)
{
    public OriginResponse? Response { get; } = response;

    /// <summary>The gateway did not ask the origin: the policy's limit of concurrent fetches was reached.</summary>
    public bool Overloaded { get; } = overloaded;

    /// <summary>The same failure as a new exception, for one of the callers that waited on one fetch.</summary>
    public OriginUnavailableException ForCaller() => new(Message, Response, InnerException, Overloaded);
}
