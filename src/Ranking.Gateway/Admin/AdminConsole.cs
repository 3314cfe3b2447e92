using System.Collections.Frozen;

namespace Ranking.Gateway.Admin;

/// <summary>
/// The operator console: a page and its script and style, built into the gateway (no build step, nothing fetched from
/// elsewhere), served at <c>/_admin/</c> while the admin API is on. The files hold no data and need no key; the page
/// asks for the key, keeps it in memory only (never a URL, a cookie or storage) and sends it as the Bearer header of
/// every admin call it makes. A strict Content-Security-Policy allows only the gateway's own script, style and calls.
/// </summary>
internal static class AdminConsole
{
    private const string Policy =
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    private static readonly FrozenDictionary<string, (byte[] Body, string ContentType)> Files = new Dictionary<string, (byte[], string)>
    {
        ["index.html"] = (Read("index.html"), "text/html; charset=utf-8"),
        ["console.js"] = (Read("console.js"), "text/javascript; charset=utf-8"),
        ["console.css"] = (Read("console.css"), "text/css; charset=utf-8"),
    }.ToFrozenDictionary();

    public static void MapConsole(this IEndpointRouteBuilder endpoints)
    {
        var console = endpoints.MapGroup("/_admin").WithOrder(int.MinValue);
        // "/_admin" and "/_admin/" are one route; the page's relative links need the slash.
        console.MapGet("/", (HttpContext context) => context.Request.Path.Value!.EndsWith('/')
            ? Serve(context, "index.html")
            : TypedResults.Redirect($"{context.Request.PathBase}/_admin/"));
        console.MapGet("/console.js", (HttpContext context) => Serve(context, "console.js"));
        console.MapGet("/console.css", (HttpContext context) => Serve(context, "console.css"));
    }

    private static IResult Serve(HttpContext context, string name)
    {
        var headers = context.Response.Headers;
        headers.ContentSecurityPolicy = Policy;
        headers.XContentTypeOptions = "nosniff";
        headers["Referrer-Policy"] = "no-referrer";
        headers.CacheControl = "no-store";
        var (body, contentType) = Files[name];
        return TypedResults.Bytes(body, contentType);
    }

    private static byte[] Read(string name)
    {
        using var stream = typeof(AdminConsole).Assembly.GetManifestResourceStream($"console/{name}")
            ?? throw new InvalidOperationException($"The console file {name} is not built into the gateway.");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
