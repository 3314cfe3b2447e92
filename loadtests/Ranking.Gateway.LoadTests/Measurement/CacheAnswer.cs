namespace Ranking.Gateway.LoadTests.Measurement;

/// <summary>What one request got back: the gateway's <c>X-Cache-Status</c>, no such header, or no answer at all.</summary>
internal enum CacheAnswer : byte
{
    Fresh,
    Stale,
    Miss,
    Bypass,

    /// <summary>An HTTP answer without <c>X-Cache-Status</c> (a baseline endpoint, a 503, a 400).</summary>
    None,

    /// <summary>No HTTP answer: connection failure or client timeout.</summary>
    Error,
}
