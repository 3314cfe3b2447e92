using System.Globalization;
using Microsoft.Extensions.Primitives;

namespace Ranking.Gateway.Http;

/// <summary>The codings a cached answer is kept in.</summary>
internal enum ContentCoding
{
    Identity,
    Gzip,
    Brotli,
}

/// <summary>Reads <c>Accept-Encoding</c> (RFC 9110 §12.5.3) without allocating.</summary>
internal static class AcceptEncoding
{
    /// <returns>
    /// br if the client accepts it, else gzip if it does, else identity. A coding with <c>q=0</c> is refused; <c>*</c>
    /// stands for the codings the header does not name, so <c>br;q=0, *</c> is gzip.
    /// </returns>
    public static ContentCoding Pick(StringValues header)
    {
        // Per coding: 1 accepted, -1 refused, 0 not named.
        int brotli = 0, gzip = 0, any = 0;
        foreach (var value in header)
        {
            var list = value.AsSpan();
            foreach (var range in list.Split(','))
            {
                var item = list[range];
                var parameters = item.IndexOf(';');
                var name = (parameters < 0 ? item : item[..parameters]).Trim();
                var verdict = parameters >= 0 && IsRefused(item[(parameters + 1)..]) ? -1 : 1;
                if (name is "*")
                {
                    any = verdict;
                }
                else if (name.Equals("br", StringComparison.OrdinalIgnoreCase))
                {
                    brotli = verdict;
                }
                else if (name.Equals("gzip", StringComparison.OrdinalIgnoreCase) || name.Equals("x-gzip", StringComparison.OrdinalIgnoreCase))
                {
                    gzip = verdict;
                }
            }
        }

        return (brotli == 0 ? any : brotli) > 0 ? ContentCoding.Brotli
            : (gzip == 0 ? any : gzip) > 0 ? ContentCoding.Gzip
            : ContentCoding.Identity;
    }

    // ";q=0" (or 0.0, 0.000): the client refuses this coding.
    private static bool IsRefused(ReadOnlySpan<char> parameters)
    {
        foreach (var range in parameters.Split(';'))
        {
            var parameter = parameters[range].Trim();
            if (parameter.Length > 2 && (parameter[0] is 'q' or 'Q') && parameter[1] == '='
                && double.TryParse(parameter[2..], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var q))
            {
                return q <= 0;
            }
        }

        return false;
    }
}
