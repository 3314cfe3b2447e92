using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;
using Ranking.Gateway.Caching;
using Ranking.Gateway.Hosting;

namespace Ranking.Gateway.Proxy;

/// <summary>
/// The cache policies proxied routes use, kept in step with <c>appsettings.json</c> as YARP keeps its routes: an edit
/// after which the <c>Gateway</c> section is valid and every cached route names a policy that exists takes effect;
/// any other edit is logged and the previous policies keep serving, as YARP keeps the previous routes (the same check
/// rejects the routes, <see cref="CachePolicyConfigFilter"/>). The other <c>Gateway</c> settings are read at start-up.
/// </summary>
internal sealed partial class CachePolicies : IDisposable
{
    private readonly IConfiguration _configuration;
    private readonly ILogger<CachePolicies> _logger;
    private readonly IDisposable _reloads;
    private volatile Dictionary<string, CachePolicy> _current;

    public CachePolicies(IConfiguration configuration, IOptions<GatewayOptions> startup, ILogger<CachePolicies> logger)
    {
        _configuration = configuration;
        _logger = logger;
        _current = startup.Value.Policies;
        _reloads = ChangeToken.OnChange(configuration.GetReloadToken, Reload);
    }

    public bool TryGet(string name, out CachePolicy policy) => _current.TryGetValue(name, out policy!);

    /// <summary>The <c>Gateway</c> section and the cached routes as the configuration holds them now, checked together.</summary>
    /// <returns>The options, or null with the errors (each naming its key) when they are not a valid whole.</returns>
    public static GatewayOptions? Read(IConfiguration configuration, out IReadOnlyList<string> errors)
    {
        var options = new GatewayOptions();
        try
        {
            GatewayOptionsBinding.Bind(configuration.GetSection(GatewayOptions.Section), options);
        }
        catch (InvalidOperationException ex)
        {
            errors = [ex.Message];
            return null;
        }

        var problems = new List<string>();
        if (new GatewayOptionsValidator().Validate(null, options) is { Failed: true } failed)
        {
            problems.AddRange(failed.Failures);
        }

        foreach (var route in configuration.GetSection("ReverseProxy:Routes").GetChildren())
        {
            if (route[$"Metadata:{CachePolicyMetadata.Key}"] is { } name && !options.Policies.ContainsKey(name))
            {
                problems.Add($"Route '{route.Key}' names cache policy '{name}' in its Metadata, but Gateway:Policies defines only: {string.Join(", ", options.Policies.Keys)}.");
            }
        }

        errors = problems;
        return problems.Count == 0 ? options : null;
    }

    public void Dispose() => _reloads.Dispose();

    private void Reload()
    {
        if (Read(_configuration, out var errors) is { } options)
        {
            _current = options.Policies;
            return;
        }

        Log.ReloadRejected(_logger, string.Join(" ", errors));
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.PoliciesReloadRejected, Level = LogLevel.Error, Message = "The edited configuration was not applied; the previous cache policies keep serving: {Errors}")]
        public static partial void ReloadRejected(ILogger logger, string errors);
    }
}
