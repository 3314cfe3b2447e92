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
    /// <returns>br if the client accepts it, else gzip if it does, else identity; a coding with <c>q=0</c> is refused.</returns>
    public static ContentCoding Pick(StringValues header)
    {
        bool brotli = false, gzip = false;
        foreach (var value in header)
        {
            var list = value.AsSpan();
            foreach (var range in list.Split(','))
            {
                var item = list[range];
                var parameters = item.IndexOf(';');
                var name = (parameters < 0 ? item : item[..parameters]).Trim();
                if (parameters >= 0 && IsRefused(item[(parameters + 1)..]))
                {
                    continue;
                }

                var any = name is "*";
                brotli |= any || name.Equals("br", StringComparison.OrdinalIgnoreCase);
                gzip |= any || name.Equals("gzip", StringComparison.OrdinalIgnoreCase) || name.Equals("x-gzip", StringComparison.OrdinalIgnoreCase);
            }
        }

        return brotli ? ContentCoding.Brotli : gzip ? ContentCoding.Gzip : ContentCoding.Identity;
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
