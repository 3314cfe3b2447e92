namespace Ranking.Gateway.Caching;

/// <summary>
/// The origin failed and no cached copy may stand in for it. <see cref="Response"/> is the origin's own
/// error answer when it gave one (an upstream 5xx), so a proxy can pass it through.
/// </summary>
internal sealed class OriginUnavailableException(string message, OriginResponse? response = null, Exception? inner = null)
    : Exception(message, inner)
{
    public OriginResponse? Response { get; } = response;
}
