using Microsoft.AspNetCore.Authorization;

namespace Ranking.Gateway.Hosting;

/// <summary>
/// Authorization for the endpoints that ask for it: a proxy route's <c>AuthorizationPolicy</c> (YARP puts it on the
/// route's endpoint as authorization metadata). WebApplication would otherwise add <c>UseAuthorization</c> for every
/// request, because YARP registers the authorization services, and that middleware writes an
/// <c>HttpContext.Items</c> entry on every request, FRESH hits included, to find nothing to check.
/// </summary>
internal static class EndpointAuthorization
{
    // WebApplication adds its own UseAuthorization unless this is set (Microsoft.AspNetCore.Builder.
    // AuthorizationAppBuilderExtensions.AuthorizationMiddlewareSetKey). Were it renamed, both would run: slower, not wrong.
    private const string MiddlewareSetKey = "__AuthorizationMiddlewareSet";

    public static IApplicationBuilder UseAuthorizationWhereAsked(this IApplicationBuilder app)
    {
        app.Properties[MiddlewareSetKey] = true;
        return app.UseWhen(Asks, branch => branch.UseAuthorization());
    }

    private static bool Asks(HttpContext context) =>
        context.GetEndpoint()?.Metadata is { } metadata
        && (metadata.GetMetadata<IAuthorizeData>() is not null
            || metadata.GetMetadata<AuthorizationPolicy>() is not null
            || metadata.GetMetadata<IAuthorizationRequirementData>() is not null);
}
