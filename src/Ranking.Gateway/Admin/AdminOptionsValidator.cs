using Microsoft.Extensions.Options;

namespace Ranking.Gateway.Admin;

/// <summary>Checks <c>Admin:ApiKey</c> when it is set, naming the key and never showing its value.</summary>
internal sealed class AdminOptionsValidator : IValidateOptions<AdminOptions>
{
    public ValidateOptionsResult Validate(string? name, AdminOptions options)
    {
        if (options.ApiKey is not { Length: > 0 } key)
        {
            return ValidateOptionsResult.Success;
        }

        var errors = new List<string>();
        if (key.Length < AdminOptions.MinKeyLength)
        {
            errors.Add($"Admin:ApiKey must be at least {AdminOptions.MinKeyLength} characters (was {key.Length}); leave it unset to turn the admin API off.");
        }

        // HTTP trims header values, so such a key could never be presented.
        if (key.Trim().Length != key.Length)
        {
            errors.Add("Admin:ApiKey must not begin or end with whitespace.");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
