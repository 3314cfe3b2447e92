using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;

namespace Ranking.Gateway.Admin;

/// <summary>
/// Checks <c>Authorization: Bearer &lt;key&gt;</c> against <c>Admin:ApiKey</c> in constant time: both sides are hashed
/// first, so the comparison takes as long whatever the presented token's length and wherever it differs.
/// </summary>
internal sealed class AdminApiKey(IOptions<AdminOptions> options)
{
    private const string Scheme = "Bearer ";

    private readonly byte[] _expected = SHA256.HashData(Encoding.UTF8.GetBytes(options.Value.ApiKey ?? ""));

    public KeyCheck Check(StringValues authorization)
    {
        if (authorization.Count == 0)
        {
            return KeyCheck.Missing;
        }

        // RFC 9110 §11.4: the scheme is case-insensitive and followed by one or more spaces; the token has no blanks.
        if (authorization.Count != 1 || authorization[0] is not { } header || !header.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase))
        {
            return KeyCheck.Malformed;
        }

        var token = header[Scheme.Length..].TrimStart(' ');
        if (token.Length == 0 || token.AsSpan().ContainsAny(' ', '\t'))
        {
            return KeyCheck.Malformed;
        }

        var presented = SHA256.HashData(Encoding.UTF8.GetBytes(token));
        return CryptographicOperations.FixedTimeEquals(presented, _expected) ? KeyCheck.Accepted : KeyCheck.Wrong;
    }
}
