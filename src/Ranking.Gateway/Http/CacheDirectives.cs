using System.Globalization;

namespace Ranking.Gateway.Http;

/// <summary>
/// The response directives a shared cache acts on (RFC 9111 §5.2.2, RFC 5861), read from a <c>Cache-Control</c> value
/// (<see cref="Parse"/>) or from a targeted field such as <c>CDN-Cache-Control</c> (<see cref="TargetedField"/>).
/// Written by hand, not with <c>CacheControlHeaderValue</c>: that parser reports a whole value as unparseable for one
/// quoted <c>max-age</c>, and a caller that then reads "no directives" stores what <c>private</c> forbade. Here a value
/// that cannot be read is <see cref="Invalid"/>, and an invalid value is never stored (fail closed).
/// </summary>
internal sealed record CacheDirectives
{
    /// <summary>Delta-seconds past 2^31 count as 2^31 (RFC 9111 §1.2.2).</summary>
    private const long MaxSeconds = 2147483648;

    public static CacheDirectives None { get; } = new();

    /// <summary>The value broke the list syntax, or named one directive twice with different arguments.</summary>
    public bool Invalid { get; init; }

    public bool NoStore { get; init; }

    /// <summary>Also true for the qualified form <c>no-cache="field"</c>, which this cache treats as unqualified.</summary>
    public bool NoCache { get; init; }

    /// <summary>Also true for <c>private="field"</c>: a shared cache then does not store the answer at all.</summary>
    public bool Private { get; init; }

    public bool Public { get; init; }

    public bool MustRevalidate { get; init; }

    public bool ProxyRevalidate { get; init; }

    public bool MustUnderstand { get; init; }

    public TimeSpan? MaxAge { get; init; }

    public TimeSpan? SharedMaxAge { get; init; }

    public TimeSpan? StaleWhileRevalidate { get; init; }

    public TimeSpan? StaleIfError { get; init; }

    /// <summary>Whether the directives forbid serving the answer stale (RFC 9111 §4.2.4): a shared cache revalidates first.</summary>
    public bool ForbidsStale => NoCache || MustRevalidate || ProxyRevalidate || SharedMaxAge is not null;

    /// <summary>
    /// Reads a <c>Cache-Control</c> value: a comma-separated list of <c>name[=token|quoted-string]</c> (RFC 9110 §5.6.1),
    /// names case-insensitive, unknown directives ignored. Empty list elements are allowed, as the list rule says.
    /// </summary>
    /// <returns><see cref="None"/> for an absent or empty value; <see cref="Invalid"/> set when it cannot be read.</returns>
    public static CacheDirectives Parse(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return None;
        }

        var seen = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        var position = 0;
        while (position < value.Length)
        {
            SkipSpace(value, ref position);
            if (position < value.Length && value[position] == ',')
            {
                position++;
                continue;
            }

            if (position >= value.Length)
            {
                break;
            }

            var name = ReadToken(value, ref position);
            if (name.Length == 0)
            {
                return Broken;
            }

            string? argument = null;
            SkipSpace(value, ref position);
            if (position < value.Length && value[position] == '=')
            {
                position++;
                SkipSpace(value, ref position);
                argument = position < value.Length && value[position] == '"' ? ReadQuoted(value, ref position) : NonEmpty(ReadToken(value, ref position));
                if (argument is null)
                {
                    return Broken;
                }

                SkipSpace(value, ref position);
            }

            if (position < value.Length && value[position] != ',')
            {
                return Broken;
            }

            // The same directive twice: harmless when both say the same, contradictory otherwise (RFC 9111 §4.2.1 allows
            // treating such an answer as stale; this cache does not store it at all).
            if (seen.TryGetValue(name, out var earlier) && !string.Equals(earlier, argument, StringComparison.OrdinalIgnoreCase))
            {
                return Broken;
            }

            seen[name] = argument;
        }

        return FromMembers(seen, static (_, argument) => argument);
    }

    /// <summary>
    /// Reads a targeted field (RFC 9213): a Structured Field Dictionary (RFC 8941). A value that is not a valid
    /// dictionary, or gives a known directive an argument of the wrong type, is null: the field is then ignored, as if
    /// absent, and <c>Cache-Control</c> applies.
    /// </summary>
    public static CacheDirectives? TargetedField(string? value)
    {
        if (string.IsNullOrWhiteSpace(value) || StructuredDictionary.Parse(value) is not { Count: > 0 } members)
        {
            return null;
        }

        foreach (var (name, item) in members)
        {
            var wantsSeconds = IsSecondsDirective(name);
            if ((wantsSeconds && item is not long) || (!wantsSeconds && IsKnownFlag(name) && item is not true))
            {
                return null;
            }
        }

        var parsed = FromMembers(members, static (name, item) => item switch
        {
            long seconds => seconds.ToString(CultureInfo.InvariantCulture),
            true => null,
            _ => "",
        });
        return parsed.Invalid ? null : parsed;
    }

    private static CacheDirectives Broken { get; } = new() { Invalid = true };

    private static CacheDirectives FromMembers<T>(IEnumerable<KeyValuePair<string, T>> members, Func<string, T, string?> argumentOf)
    {
        var directives = new CacheDirectives();
        foreach (var (name, raw) in members)
        {
            var argument = argumentOf(name, raw);
            switch (name.ToLowerInvariant())
            {
                case "no-store": directives = directives with { NoStore = true }; break;
                case "no-cache": directives = directives with { NoCache = true }; break;
                case "private": directives = directives with { Private = true }; break;
                case "public": directives = directives with { Public = true }; break;
                case "must-revalidate": directives = directives with { MustRevalidate = true }; break;
                case "proxy-revalidate": directives = directives with { ProxyRevalidate = true }; break;
                case "must-understand": directives = directives with { MustUnderstand = true }; break;
                case "max-age" or "s-maxage" or "stale-while-revalidate" or "stale-if-error":
                    if (DeltaSeconds(argument) is not { } seconds)
                    {
                        return Broken;
                    }

                    directives = name.ToLowerInvariant() switch
                    {
                        "max-age" => directives with { MaxAge = seconds },
                        "s-maxage" => directives with { SharedMaxAge = seconds },
                        "stale-while-revalidate" => directives with { StaleWhileRevalidate = seconds },
                        _ => directives with { StaleIfError = seconds },
                    };
                    break;
            }
        }

        return directives;
    }

    private static bool IsSecondsDirective(string name) =>
        name is "max-age" or "s-maxage" or "stale-while-revalidate" or "stale-if-error";

    private static bool IsKnownFlag(string name) =>
        name is "no-store" or "private" or "public" or "must-revalidate" or "proxy-revalidate" or "must-understand";

    /// <summary>
    /// A delta-seconds value (RFC 9111 §1.2.2): digits only (leading zeros allowed), past 2^31 read as 2^31; null when it
    /// is not one. The quoted form of a directive's number arrives here unquoted, and is read as the number.
    /// </summary>
    internal static TimeSpan? DeltaSeconds(string? argument)
    {
        if (string.IsNullOrEmpty(argument) || argument.AsSpan().ContainsAnyExceptInRange('0', '9'))
        {
            return null;
        }

        var digits = argument.AsSpan().TrimStart('0');
        var seconds = digits.Length == 0 ? 0
            : digits.Length > 10 ? MaxSeconds
            : Math.Min(long.Parse(digits, NumberStyles.None, CultureInfo.InvariantCulture), MaxSeconds);
        return TimeSpan.FromSeconds(seconds);
    }

    private static void SkipSpace(string value, ref int position)
    {
        while (position < value.Length && value[position] is ' ' or '\t')
        {
            position++;
        }
    }

    // token = 1*tchar (RFC 9110 §5.6.2)
    private static string ReadToken(string value, ref int position)
    {
        var start = position;
        while (position < value.Length && IsTokenChar(value[position]))
        {
            position++;
        }

        return value[start..position];
    }

    private static string? NonEmpty(string token) => token.Length == 0 ? null : token;

    /// <summary>tchar (RFC 9110 §5.6.2).</summary>
    internal static bool IsTokenChar(char c) =>
        char.IsAsciiLetterOrDigit(c) || c is '!' or '#' or '$' or '%' or '&' or '\'' or '*' or '+' or '-' or '.' or '^' or '_' or '`' or '|' or '~';

    // quoted-string with quoted-pair escapes; null when it is not closed.
    private static string? ReadQuoted(string value, ref int position)
    {
        var text = new System.Text.StringBuilder();
        position++;
        while (position < value.Length)
        {
            var c = value[position++];
            if (c == '"')
            {
                return text.ToString();
            }

            if (c == '\\')
            {
                if (position >= value.Length)
                {
                    return null;
                }

                c = value[position++];
            }

            text.Append(c);
        }

        return null;
    }
}
