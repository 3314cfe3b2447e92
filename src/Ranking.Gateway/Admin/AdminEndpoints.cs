using Microsoft.Extensions.Options;

namespace Ranking.Gateway.Admin;

/// <summary>
/// <c>/_admin/ranking/{group}</c> and <c>/_admin/routes/{routeId}/{**path}</c>: an entry's state (GET), purge (DELETE),
/// refresh now (POST <c>…/refresh</c>); <c>/_admin/queue/dead</c>: the Queue mode's dead letters (<see cref="QueueAdmin"/>);
/// <c>POST /_admin/purge</c>: many entries by key, group and tag, soft or hard (<see cref="PurgeAdmin"/>);
/// <c>GET /_admin/overview</c>: what the operator console shows (<see cref="Overview"/>); <c>/_admin/</c>: the console
/// itself (<see cref="AdminConsole"/>).
/// </summary>
internal static class AdminEndpoints
{
    private const string Refresh = "refresh";

    /// <summary>
    /// Maps <c>/_admin/*</c> ahead of every other endpoint, YARP's routes included, so no proxied route (a catch-all
    /// neither) ever answers an admin path: with <c>Admin:ApiKey</c> set, the admin API behind <see cref="AdminGate"/>;
    /// without it, 404 for every admin path and method.
    /// </summary>
    public static IEndpointRouteBuilder MapAdmin(this IEndpointRouteBuilder endpoints)
    {
        // Routing tries endpoints by order first: none can come before int.MinValue, whatever a route's Order or pattern.
        var admin = endpoints.MapGroup("/_admin").WithOrder(int.MinValue);
        if (!endpoints.ServiceProvider.GetRequiredService<IOptions<AdminOptions>>().Value.Enabled)
        {
            admin.Map("/{**path}", NotFound);
            return endpoints;
        }

        endpoints.MapConsole();
        admin.AddEndpointFilter<AdminGate>();
        admin.MapGet("/overview", (Overview overview) => overview.GetAsync());
        admin.MapGet("/ranking/{group}", RankingStateAsync);
        admin.MapDelete("/ranking/{group}", PurgeRankingAsync);
        admin.MapPost("/ranking/{group}/" + Refresh, RefreshRankingAsync);
        admin.MapGet("/routes/{routeId}/{**path}", RouteStateAsync);
        admin.MapDelete("/routes/{routeId}/{**path}", PurgeRouteAsync);
        admin.MapPost("/routes/{routeId}/{**path}", RefreshRouteAsync);
        admin.MapGet("/queue/dead", (int? count, QueueAdmin queue) => queue.ListAsync(count));
        admin.MapPost("/queue/dead/requeue", (LetterSelection? selection, QueueAdmin queue) => queue.RequeueAsync(selection));
        admin.MapPost("/queue/dead/drop", (LetterSelection? selection, QueueAdmin queue) => queue.DropAsync(selection));
        admin.MapPost("/purge", (PurgeRequest? purge, PurgeAdmin purges) => purges.PurgeAsync(purge));
        // Any other admin path or method, once the key is checked: 404, never the proxy.
        admin.Map("/{**path}", NotFound);
        return endpoints;
    }

    private static async Task<IResult> RankingStateAsync(string group, AdminTargets targets, EntryAdmin entries) =>
        targets.TryRanking(group, out var request, out var problem) ? await entries.StateAsync(request) : problem;

    private static async Task<IResult> PurgeRankingAsync(string group, AdminTargets targets, EntryAdmin entries) =>
        targets.TryRanking(group, out var request, out var problem) ? await entries.PurgeAsync(request) : problem;

    private static async Task<IResult> RefreshRankingAsync(string group, HttpResponse response, AdminTargets targets, EntryAdmin entries) =>
        targets.TryRanking(group, out var request, out var problem) ? await entries.RefreshAsync(request, response) : problem;

    private static async Task<IResult> RouteStateAsync(HttpContext context, string routeId, string? path, AdminTargets targets, EntryAdmin entries) =>
        targets.TryRoute(context, routeId, path, out var request, out var problem) ? await entries.StateAsync(request) : problem;

    private static async Task<IResult> PurgeRouteAsync(HttpContext context, string routeId, string? path, AdminTargets targets, EntryAdmin entries) =>
        targets.TryRoute(context, routeId, path, out var request, out var problem) ? await entries.PurgeAsync(request) : problem;

    // POST /_admin/routes/{routeId}/{path}/refresh: the catch-all takes the rest of the path, so the suffix is cut here.
    private static async Task<IResult> RefreshRouteAsync(HttpContext context, string routeId, string? path, AdminTargets targets, EntryAdmin entries)
    {
        path ??= "";
        if (!path.Equals(Refresh, StringComparison.OrdinalIgnoreCase) && !path.EndsWith("/" + Refresh, StringComparison.OrdinalIgnoreCase))
        {
            return NotFound();
        }

        var entryPath = path[..^Refresh.Length].TrimEnd('/');
        return targets.TryRoute(context, routeId, entryPath, out var request, out var problem)
            ? await entries.RefreshAsync(request, context.Response)
            : problem;
    }

    // Empty, so the status-code pages answer it as they answer any unknown path (application/problem+json).
    private static IResult NotFound() => TypedResults.NotFound();
}
