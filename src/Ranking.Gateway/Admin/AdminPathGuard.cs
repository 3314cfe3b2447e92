using Ranking.Gateway.Hosting;

namespace Ranking.Gateway.Admin;

/// <summary>
/// Keeps every spelling of an admin path away from the proxy: a path that an upstream (or anything between) could read
/// as <c>/_admin…</c> once it collapses empty segments, drops <c>;</c> parameters, trims trailing dots, decodes an
/// encoded slash or backslash and resolves dot segments, but that is not the plain <c>/_admin</c> the admin endpoints
/// answer, is answered 404 here. A catch-all route would otherwise forward it upstream.
/// </summary>
internal sealed class AdminPathGuard(RequestDelegate next)
{
    private const string Admin = "/_admin";

    public Task InvokeAsync(HttpContext context) =>
        IsDisguised(context.Request.Path.Value)
            ? Problems.WriteAsync(context, StatusCodes.Status404NotFound, "Not Found", "Admin paths are answered by the gateway and never proxied; this spelling of one is not an admin path.")
            : next(context);

    /// <summary>Whether <paramref name="path"/> (as Kestrel decoded it: all but <c>%2F</c>) reads as an admin path without being the plain one.</summary>
    internal static bool IsDisguised(string? path)
    {
        // The fast path: most paths do not mention admin at all.
        if (path is null || !path.Contains("admin", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        if (path.StartsWith(Admin, StringComparison.OrdinalIgnoreCase) && (path.Length == Admin.Length || path[Admin.Length] == '/'))
        {
            return false;
        }

        var decoded = path;
        for (var i = 0; i < 3 && decoded.Contains('%'); i++)
        {
            decoded = Uri.UnescapeDataString(decoded);
        }

        var segments = new List<string>();
        foreach (var raw in decoded.Replace('\\', '/').Split('/'))
        {
            var segment = raw.Split(';')[0];
            if (segment == "..")
            {
                if (segments.Count > 0)
                {
                    segments.RemoveAt(segments.Count - 1);
                }

                continue;
            }

            // "." and empty segments vanish; "_admin." reads as "_admin" to some servers.
            segment = segment.TrimEnd('.', ' ', '\t');
            if (segment.Length > 0)
            {
                segments.Add(segment);
            }
        }

        return segments.Count > 0 && segments[0].Equals("_admin", StringComparison.OrdinalIgnoreCase);
    }
}
