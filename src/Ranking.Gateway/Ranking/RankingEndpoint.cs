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

    private static bool TryReadLimit(HttpRequest request, out int limit)
    {
        limit = RankingReader.MaxLimit;
        // Without a query string, Request.Query would still build a query feature for nothing.
        if (!request.QueryString.HasValue)
        {
            return true;
        }

        var values = request.Query["limit"];
        return values.Count switch
        {
            0 => true,
            // Digits only: int.TryParse would also take trailing NULs.
            1 => values[0] is { Length: > 0 and <= 3 } text
                && !text.AsSpan().ContainsAnyExceptInRange('0', '9')
                && int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out limit)
                && limit is >= 1 and <= RankingReader.MaxLimit,
            _ => false,
        };
    }
}
