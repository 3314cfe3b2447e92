using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.HttpOverrides;
using IPNetwork = System.Net.IPNetwork;

namespace Ranking.Gateway.Limits;

/// <summary>
/// Section <c>ForwardedHeaders</c>: the proxies in front of the gateway whose <c>X-Forwarded-For</c> names the client.
/// A request from any other address is that address's own, whatever it claims. None by default.
/// </summary>
public sealed class TrustedProxiesOptions
{
    public const string Section = "ForwardedHeaders";

    /// <summary>Addresses of trusted proxies (<c>10.0.0.5</c>, <c>2001:db8::5</c>).</summary>
    public string[] KnownProxies { get; set; } = [];

    /// <summary>Networks of trusted proxies in CIDR notation (<c>10.0.0.0/8</c>).</summary>
    public string[] KnownNetworks { get; set; } = [];

    /// <summary>How many <c>X-Forwarded-For</c> entries are read, right to left: the number of trusted proxies in a chain.</summary>
    public int ForwardLimit { get; set; } = 1;

    internal bool AnyConfigured => KnownProxies.Length > 0 || KnownNetworks.Length > 0;

    /// <summary>ASP.NET Core's options, trusting the configured proxies only (not its default, loopback).</summary>
    internal ForwardedHeadersOptions ToForwardedHeadersOptions()
    {
        // Only the client's address: a forwarded scheme or host would change what routes and cache keys see.
        var options = new ForwardedHeadersOptions { ForwardedHeaders = ForwardedHeaders.XForwardedFor, ForwardLimit = ForwardLimit };
        options.KnownProxies.Clear();
        options.KnownIPNetworks.Clear();
        foreach (var proxy in KnownProxies)
        {
            options.KnownProxies.Add(TryParseAddress(proxy, out var address) ? address : throw new FormatException($"Not an IP address: {proxy}"));
        }

        foreach (var text in KnownNetworks)
        {
            options.KnownIPNetworks.Add(TryParseNetwork(text, out var network) ? network : throw new FormatException($"Not a CIDR network: {text}"));
        }

        return options;
    }

    /// <summary>An IPv4 address in full dotted form, or an IPv6 address; not <c>10.1</c>, which .NET reads as 10.0.0.1.</summary>
    internal static bool TryParseAddress(string text, out IPAddress address) =>
        IPAddress.TryParse(text, out address!)
        && (address.AddressFamily == AddressFamily.InterNetworkV6 || text.Count('.') == 3);

    /// <summary>An address and a prefix length, with no address bits set past the prefix.</summary>
    internal static bool TryParseNetwork(string text, out IPNetwork network)
    {
        network = default;
        var slash = text.IndexOf('/', StringComparison.Ordinal);
        // .NET would take 10.0.0.1/8 as 10.0.0.0/8; more likely a mistyped /32, so it is refused.
        return slash > 0
            && TryParseAddress(text[..slash], out var address)
            && IPNetwork.TryParse(text, out network)
            && network.BaseAddress.Equals(address);
    }
}
