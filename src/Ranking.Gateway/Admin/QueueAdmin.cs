using Microsoft.Extensions.Options;
using Ranking.Gateway.Ranking;
using Ranking.Gateway.Refresh;
using Ranking.Gateway.Refresh.Queue;
using StackExchange.Redis;

namespace Ranking.Gateway.Admin;

/// <summary>
/// The Queue mode's dead letters: <c>GET /_admin/queue/dead</c> lists them, <c>POST /_admin/queue/dead/requeue</c> queues
/// the named ones (or all) again, <c>POST /_admin/queue/dead/drop</c> drops them. In another mode they do not exist (404).
/// Redis being away is a 503 that changed nothing.
/// </summary>
internal sealed class QueueAdmin(DeadLetters letters, IOptions<RankingOptions> options, TimeProvider time)
{
    public const int MaxLetters = 1000;

    public async Task<IResult> ListAsync(int? count)
    {
        if (NotQueue() is { } problem)
        {
            return problem;
        }

        if (count is < 1 or > MaxLetters)
        {
            return Problem(StatusCodes.Status400BadRequest, "Invalid count", $"count must be a whole number from 1 to {MaxLetters}.");
        }

        return await RedisAsync(async () =>
        {
            var list = await letters.ListAsync(count ?? 100);
            return TypedResults.Json(new DeadLetterList(list.Count, list), AdminJsonContext.Default.DeadLetterList);
        });
    }

    public Task<IResult> RequeueAsync(LetterSelection? selection) =>
        ActAsync(selection, async ids => new LettersDone(await letters.RequeueAsync(ids, time.GetUtcNow())));

    public Task<IResult> DropAsync(LetterSelection? selection) =>
        ActAsync(selection, async ids => new LettersDone(await letters.DropAsync(ids)));

    private async Task<IResult> ActAsync(LetterSelection? selection, Func<IReadOnlyList<string>, Task<LettersDone>> act)
    {
        if (NotQueue() is { } problem)
        {
            return problem;
        }

        if (selection is null || (selection.All != true && selection.Ids is not { Length: > 0 }) || (selection.All == true && selection.Ids is { Length: > 0 }))
        {
            return Problem(StatusCodes.Status400BadRequest, "Invalid selection", "Send {\"ids\": [\"N/id\", ...]} (letters as GET /_admin/queue/dead names them) or {\"all\": true}.");
        }

        if (selection.Ids is { Length: > MaxLetters })
        {
            return Problem(StatusCodes.Status400BadRequest, "Too many letters", $"At most {MaxLetters} letters a call; use {{\"all\": true}} for every one.");
        }

        if (selection.Ids?.FirstOrDefault(id => !letters.IsName(id)) is { } bad)
        {
            return Problem(StatusCodes.Status400BadRequest, "Invalid letter", $"'{bad}' is not a dead letter's name (N/id, N a shard in use).");
        }

        return await RedisAsync(async () =>
            TypedResults.Json(await act(selection.All == true ? await letters.AllAsync() : selection.Ids!), AdminJsonContext.Default.LettersDone));
    }

    private IResult? NotQueue() => options.Value.Refresh.Mode == RefreshMode.Queue
        ? null
        : Problem(StatusCodes.Status404NotFound, "No queue", $"Ranking:Refresh:Mode is {options.Value.Refresh.Mode}: dead letters exist in Queue mode only.");

    private static async Task<IResult> RedisAsync(Func<Task<IResult>> act)
    {
        try
        {
            return await act();
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            return Problem(StatusCodes.Status503ServiceUnavailable, "Redis unavailable", "The queue's Redis is not answering; nothing was read or changed. Try again shortly.");
        }
    }

    private static IResult Problem(int status, string title, string detail) => TypedResults.Problem(statusCode: status, title: title, detail: detail);
}

/// <summary>Which dead letters a call acts on: the named ones, or all.</summary>
internal sealed record LetterSelection(string[]? Ids, bool? All);

internal sealed record DeadLetterList(int Count, IReadOnlyList<DeadLetter> Letters);

/// <param name="Affected">How many of the letters were there and were acted on.</param>
internal sealed record LettersDone(long Affected);
