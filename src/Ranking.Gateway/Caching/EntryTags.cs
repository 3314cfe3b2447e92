using System.Buffers;

namespace Ranking.Gateway.Caching;

/// <summary>
/// Tags: names an entry can be purged by besides its key (<c>POST /_admin/purge</c>), like Varnish's xkey, Fastly's
/// <c>Surrogate-Key</c> and Cloudflare's <c>Cache-Tag</c>. A tag is 1 to <see cref="MaxLength"/> visible ASCII characters
/// without commas; an entry has at most <see cref="MaxTags"/>. Lists are split on spaces and commas; what does not fit the
/// rules is left out, never an error (an upstream's header must not make its answer unstorable).
/// </summary>
internal static class EntryTags
{
    public const int MaxTags = 32;

    public const int MaxLength = 128;

    private static readonly SearchValues<char> Separators = SearchValues.Create(" ,\t");

    public static bool IsValid(string tag) =>
        tag.Length is > 0 and <= MaxLength && !tag.AsSpan().ContainsAnyExceptInRange('!', '~') && !tag.Contains(',');

    /// <summary>The valid, distinct tags of <paramref name="lists"/> (header values, configured lists), in order, at most <see cref="MaxTags"/>.</summary>
    public static IReadOnlyList<string> Parse(IEnumerable<string?> lists)
    {
        var tags = new List<string>();
        foreach (var list in lists)
        {
            if (list is null)
            {
                continue;
            }

            foreach (var range in list.AsSpan().SplitAny(Separators))
            {
                var tag = list[range].ToString();
                if (IsValid(tag) && !tags.Contains(tag, StringComparer.Ordinal))
                {
                    if (tags.Count == MaxTags)
                    {
                        return tags;
                    }

                    tags.Add(tag);
                }
            }
        }

        return tags;
    }
}
