using Ranking.Gateway.Hosting;

namespace Ranking.Gateway.Admin;

/// <summary>
/// Every admin call passes here first: the key is checked before anything else runs (401 otherwise), and the call is
/// logged with who made it, what it asked and what it got. The key is never logged.
/// </summary>
internal sealed partial class AdminGate(AdminApiKey key, ILogger<AdminGate> logger) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var request = http.Request;
        var who = http.Connection.RemoteIpAddress?.ToString() ?? "unknown";
        var what = $"{request.Method} {request.PathBase}{request.Path}{request.QueryString}";
        var check = key.Check(request.Headers.Authorization);
        if (check != KeyCheck.Accepted)
        {
            // RFC 6750 §3: no credentials get the bare challenge; bad ones say what was wrong.
            http.Response.Headers.WWWAuthenticate = check switch
            {
                KeyCheck.Missing => "Bearer",
                KeyCheck.Malformed => "Bearer error=\"invalid_request\"",
                _ => "Bearer error=\"invalid_token\"",
            };
            Log.Refused(logger, who, what, check);
            return TypedResults.Problem(
                statusCode: StatusCodes.Status401Unauthorized,
                title: "Unauthorized",
                detail: "Admin calls need the header Authorization: Bearer <Admin:ApiKey>.");
        }

        var status = StatusCodes.Status500InternalServerError;
        try
        {
            var result = await next(context);
            status = result is IStatusCodeHttpResult { StatusCode: { } code } ? code : http.Response.StatusCode;
            return result;
        }
        finally
        {
            Log.Answered(logger, who, what, status);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.AdminAnswered, Level = LogLevel.Information, Message = "Admin call from {Client}: {Request} answered {Status}.")]
        public static partial void Answered(ILogger logger, string client, string request, int status);

        [LoggerMessage(EventId = EventIds.AdminRefused, Level = LogLevel.Warning, Message = "Admin call from {Client}: {Request} refused with 401 (credentials: {Credentials}).")]
        public static partial void Refused(ILogger logger, string client, string request, KeyCheck credentials);
    }
}
