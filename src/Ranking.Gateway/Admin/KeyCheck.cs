namespace Ranking.Gateway.Admin;

/// <summary>What an admin call's <c>Authorization</c> header came to.</summary>
internal enum KeyCheck
{
    Accepted,

    /// <summary>No <c>Authorization</c> header.</summary>
    Missing,

    /// <summary>Not exactly one <c>Bearer &lt;token&gt;</c>.</summary>
    Malformed,

    /// <summary>A bearer token that is not the key.</summary>
    Wrong,
}
