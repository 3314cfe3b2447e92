using Microsoft.Extensions.Options;

namespace Ranking.Gateway.Limits;

/// <summary>Checks every proxy address and network, naming the offending key.</summary>
internal sealed class TrustedProxiesOptionsValidator : IValidateOptions<TrustedProxiesOptions>
{
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

        if (options.ForwardLimit < 1)
        {
            errors.Add($"{Section}:ForwardLimit must be at least 1 (was {options.ForwardLimit}).");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
