namespace Ranking.Gateway.Caching;

/// <summary>How an answer was produced; sent to clients as <c>X-Cache-Status</c>.</summary>
public enum CacheStatus
{
    Fresh,
    Stale,
    Miss,
    Bypass,
}
