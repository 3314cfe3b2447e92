using System.Globalization;

namespace Ranking.Gateway.Http;

/// <summary>
/// HTTP-date (RFC 9110 §5.6.7), strictly: IMF-fixdate, and the two obsolete forms a recipient must accept (rfc850-date,
/// asctime-date). Anything else (another zone than GMT, a two-digit year in the IMF form, extra spaces, two values) is
/// invalid; for <c>Expires</c> an invalid value means "already expired" (RFC 9111 §5.3).
/// </summary>
internal static class HttpDate
{
    private static readonly string[] Formats =
    [
        "ddd, dd MMM yyyy HH:mm:ss 'GMT'",
        "dddd, dd-MMM-yy HH:mm:ss 'GMT'",
        "ddd MMM d HH:mm:ss yyyy",
    ];

    public static bool TryParse(string? value, out DateTimeOffset date)
    {
        date = default;
        if (value is null)
        {
            return false;
        }

        // asctime pads a one-digit day with a space ("Jun  2"); the format above takes the day without it.
        var text = value.Length == 24 && value[8] == ' ' ? value.Remove(8, 1) : value;
        if (!DateTime.TryParseExact(text, Formats, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var parsed))
        {
            return false;
        }

        date = new DateTimeOffset(DateTime.SpecifyKind(parsed, DateTimeKind.Utc));
        return true;
    }
}
