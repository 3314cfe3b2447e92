using System.Globalization;
using System.Text.RegularExpressions;
using Ranking.Gateway.Caching;
using Ranking.Gateway.Hosting;
using Ranking.Gateway.Http;

namespace Ranking.Gateway.Ranking;

/// <summary><c>GET /ranking/{group}?limit=1..100</c>.</summary>
internal static partial class RankingEndpoint
{
    public static IEndpointConventionBuilder MapRanking(this IEndpointRouteBuilder endpoints)
    {
        // Singletons, resolved once: a handler that asks for services makes each request open a service scope.
        var services = endpoints.ServiceProvider;
        var reader = services.GetRequiredService<RankingReader>();
        var known = services.GetRequiredService<KnownGroups>();
        var time = services.GetRequiredService<TimeProvider>();
        // A RequestDelegate, not a handler with bound parameters: no generated binding code runs per request.
        return endpoints.MapMethods("/ranking/{group}", [HttpMethods.Get, HttpMethods.Head], context => HandleAsync(context, (string)context.Request.RouteValues["group"]!, reader, known, time));
    }

    // \z, not $: $ also matches before a trailing newline.
    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}\z")]
    internal static partial Regex GroupId();

    private static async Task HandleAsync(HttpContext context, string group, RankingReader reader, KnownGroups known, TimeProvider time)
    {
        if (!GroupId().IsMatch(group))
        {
            await Problems.WriteAsync(context, 400, "Invalid group id", "A group id is 1 to 64 characters: a letter or digit, then letters, digits, '_', '.', ':' or '-'.");
            return;
        }

        if (!TryReadLimit(context.Request, out var limit))
        {
            await Problems.WriteAsync(context, 400, "Invalid limit", $"limit must be a whole number from 1 to {RankingReader.MaxLimit}.");
            return;
        }

        if (!known.MayExist(group))
        {
            await Problems.WriteAsync(context, 404, "Unknown group", $"No ranking exists for group '{group}'.");
            return;
        }

        var lookup = await reader.ReadAsync(group, context.RequestAborted);
        if (lookup.Failure is { } failure)
        {
            var detail = failure.Overloaded
                ? "Too many rankings are being read from the ranking store at once and no cached copy is available. Try again shortly."
                : "The ranking store is not answering and no cached copy is available. Try again shortly.";
            await Problems.WriteAsync(context, 503, "Ranking unavailable", detail, reader.Policy.RetryAfter);
            return;
        }

        var now = time.GetUtcNow();
        if (lookup.Entry.StatusCode != 200 || limit == RankingReader.MaxLimit)
        {
            await AnswerWriter.WriteAsync(context, lookup, now, downstream: Downstream.For(reader.Policy, group));
            return;
        }

        await AnswerWriter.WriteAsync(context, lookup, now, RankingSlices.Of(lookup.Entry, limit), Downstream.For(reader.Policy, group));
    }

    // The query is read in place: Request.Query builds a dictionary and strings per request, which over sockets was
    // three quarters of what a FRESH hit with ?limit= allocated (loadtests/RESULTS.md, issue 22). A query with an escape
    // ('%', or '+' for a space) is left to Request.Query to decode; either way the same rules: names ignore case, a
    // name without '=' has an empty value, and more than one limit is refused.
    private static bool TryReadLimit(HttpRequest request, out int limit)
    {
        limit = RankingReader.MaxLimit;
        var query = request.QueryString.Value.AsSpan().TrimStart('?');
        var found = 0;
        var value = ReadOnlySpan<char>.Empty;
        if (query.ContainsAny('%', '+'))
        {
            var values = request.Query["limit"];
            found = values.Count;
            value = found == 1 ? values[0] : null;
        }
        else
        {
            foreach (var range in query.Split('&'))
            {
                var pair = query[range];
                var equals = pair.IndexOf('=');
                if ((equals < 0 ? pair : pair[..equals]).Equals("limit", StringComparison.OrdinalIgnoreCase))
                {
                    found++;
                    value = equals < 0 ? [] : pair[(equals + 1)..];
                }
            }
        }

        return found switch
        {
            0 => true,
            1 => TryParseLimit(value, out limit),
            _ => false,
        };
    }

    // Digits only: int.TryParse would also take trailing NULs.
    private static bool TryParseLimit(ReadOnlySpan<char> text, out int limit)
    {
        limit = 0;
        return text.Length is > 0 and <= 3
            && !text.ContainsAnyExceptInRange('0', '9')
            && int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out limit)
            && limit is >= 1 and <= RankingReader.MaxLimit;
    }
}
