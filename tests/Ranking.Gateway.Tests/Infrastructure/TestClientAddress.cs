using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace Ranking.Gateway.Tests.Infrastructure;

/// <summary>
/// The in-memory test server has no connection address. This startup filter runs before the gateway's pipeline and
/// gives each request the address in its <see cref="Header"/> (then removes the header), as if it had connected from there.
/// </summary>
public sealed class TestClientAddress : IStartupFilter
{
    public const string Header = "X-Test-Connection-Address";

    public static void Register(IServiceCollection services) => services.AddSingleton<IStartupFilter, TestClientAddress>();

    /// <summary>A GET of <paramref name="path"/> as from <paramref name="address"/>, with <c>X-Forwarded-For</c> when given.</summary>
    public static HttpRequestMessage Get(string path, string address, string? forwardedFor = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Add(Header, address);
        if (forwardedFor is not null)
        {
            request.Headers.Add("X-Forwarded-For", forwardedFor);
        }

        return request;
    }

    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        app.Use((context, nextMiddleware) =>
        {
            if (context.Request.Headers.Remove(Header, out var address))
            {
                context.Connection.RemoteIpAddress = IPAddress.Parse(address.ToString());
            }

            return nextMiddleware(context);
        });
        next(app);
    };
}
