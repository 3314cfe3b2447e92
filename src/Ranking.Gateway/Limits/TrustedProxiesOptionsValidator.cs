using Microsoft.Extensions.Options;

namespace Ranking.Gateway.Limits;

/// <summary>Checks every proxy address and network, naming the offending key.</summary>
internal sealed class TrustedProxiesOptionsValidator(IConfiguration configuration) : IValidateOptions<TrustedProxiesOptions>
{
    /// <summary>ASP.NET Core's own switch (<c>ASPNETCORE_FORWARDEDHEADERS_ENABLED</c>), which trusts every address.</summary>
    private const string FrameworkSwitch = "FORWARDEDHEADERS_ENABLED";

    public ValidateOptionsResult Validate(string? name, TrustedProxiesOptions options)
    {
        const string Section = TrustedProxiesOptions.Section;
        var errors = new List<string>();
        for (var i = 0; i < options.KnownProxies.Length; i++)
        {
            if (!TrustedProxiesOptions.TryParseAddress(options.KnownProxies[i], out _))
            {
                errors.Add($"{Section}:KnownProxies:{i} ('{options.KnownProxies[i]}') is not an IP address.");
            }
        }

        for (var i = 0; i < options.KnownNetworks.Length; i++)
        {
            if (!TrustedProxiesOptions.TryParseNetwork(options.KnownNetworks[i], out _))
            {
                errors.Add($"{Section}:KnownNetworks:{i} ('{options.KnownNetworks[i]}') is not a network in CIDR notation, such as 10.0.0.0/8 (no address bits set past the prefix).");
            }
        }

        if (string.Equals(configuration[FrameworkSwitch], "true", StringComparison.OrdinalIgnoreCase))
        {
            errors.Add($"{FrameworkSwitch} (ASPNETCORE_{FrameworkSwitch}) makes ASP.NET Core take X-Forwarded-For from any address; unset it and list the proxies under {Section}:KnownProxies or {Section}:KnownNetworks.");
        }

        if (options.ForwardLimit < 1)
        {
            errors.Add($"{Section}:ForwardLimit must be at least 1 (was {options.ForwardLimit}).");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
