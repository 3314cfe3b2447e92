namespace Ranking.Gateway.Caching;

/// <summary>
/// Binds the <c>Gateway</c> section. Each policy is bound on its own, so a value that does not convert
/// (<c>Gateway:Policies:ranking:Fresh=abc</c>) stops start-up with the binder's message naming that key, instead of
/// the policy silently disappearing from the dictionary.
/// </summary>
internal static class GatewayOptionsBinding
{
    /// <exception cref="InvalidOperationException">A value does not convert to its setting's type; the message names the key.</exception>
    public static void Bind(IConfiguration section, GatewayOptions options)
    {
        section.Bind(options);
        options.Policies.Clear();
        foreach (var policy in section.GetSection(nameof(GatewayOptions.Policies)).GetChildren())
        {
            options.Policies[policy.Key] = policy.Get<CachePolicy>() ?? new CachePolicy();
        }
    }
}
