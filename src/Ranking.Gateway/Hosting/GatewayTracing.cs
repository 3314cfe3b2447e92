using System.Diagnostics;
using Npgsql;
using OpenTelemetry.Trace;

namespace Ranking.Gateway.Hosting;

/// <summary>
/// The gateway's spans: one <see cref="ActivitySource"/>, its span names and attribute names in one place. With no
/// listener (tracing off) <see cref="ActivitySource.StartActivity(string, ActivityKind)"/> returns null and costs a
/// check. Attributes carry statuses, outcomes, policy names and counts; never a key, a group id or a user id.
/// </summary>
internal static class GatewayTracing
{
    public const string SourceName = "Ranking.Gateway";

    public static readonly ActivitySource Source = new(SourceName);

    // Span names: what the gateway does, low-cardinality.
    public const string Lookup = "cache lookup";
    public const string Lock = "cache lock";
    public const string OriginFetch = "origin fetch";
    public const string Refresh = "cache refresh";
    public const string ProducerPass = "refresh producer pass";
    public const string Publish = "refresh queue publish";
    public const string Process = "refresh queue process";
    public const string Batch = "refresh batch";

    // Attributes of the gateway's own (no semantic convention covers a cache's verdict).
    public const string CacheStatus = "gateway.cache.status";
    public const string Policy = "gateway.cache.policy";
    public const string FetchReason = "gateway.fetch.reason";
    public const string Outcome = "gateway.outcome";
    public const string LockAcquired = "gateway.lock.acquired";
    public const string Groups = "gateway.refresh.groups";

    // OpenTelemetry messaging conventions, for the Redis stream the Queue mode uses.
    public const string MessagingSystem = "messaging.system";
    public const string MessagingOperationType = "messaging.operation.type";
    public const string MessagingOperationName = "messaging.operation.name";
    public const string MessagingBatchCount = "messaging.batch.message_count";

    /// <summary>Where a queue item's trace continues: the W3C <c>traceparent</c> of the span that queued it, or null.</summary>
    public static string? TraceParent(Activity? activity) => activity is { IdFormat: ActivityIdFormat.W3C } ? activity.Id : null;

    /// <summary>
    /// Starts the span of a consumer handling queue items: in the trace of the first item that carries one (so a change
    /// reads producer → consumer → SQL as one trace), linked to the others' traces.
    /// </summary>
    public static Activity? StartProcess(IEnumerable<string?> traceParents, int count)
    {
        if (!Source.HasListeners())
        {
            return null;
        }

        var contexts = traceParents
            .Select(tp => ActivityContext.TryParse(tp, null, out var context) ? context : default)
            .Where(c => c != default)
            .Distinct()
            .ToArray();
        var activity = Source.StartActivity(Process, ActivityKind.Consumer, contexts.FirstOrDefault(), links: contexts.Skip(1).Select(c => new ActivityLink(c)));
        activity?.SetTag(MessagingSystem, "redis").SetTag(MessagingOperationType, "process")
            .SetTag(MessagingOperationName, "XREADGROUP").SetTag(MessagingBatchCount, count);
        return activity;
    }

    /// <summary>Starts a span that begins a trace of its own, linked to <paramref name="cause"/> (not its child: it outlives it).</summary>
    public static Activity? StartLinked(string name, ActivityContext cause, ActivityKind kind = ActivityKind.Internal)
    {
        var current = Activity.Current;
        Activity.Current = null;
        try
        {
            return Source.StartActivity(name, kind, parentContext: default, links: cause == default ? null : [new ActivityLink(cause)]);
        }
        finally
        {
            Activity.Current ??= current;
        }
    }

    /// <summary>
    /// Whether the standard OpenTelemetry switches ask for traces: an OTLP endpoint (<c>OTEL_EXPORTER_OTLP_ENDPOINT</c> or
    /// <c>OTEL_EXPORTER_OTLP_TRACES_ENDPOINT</c>), unless <c>OTEL_SDK_DISABLED=true</c> or <c>OTEL_TRACES_EXPORTER=none</c>.
    /// The exporter reads the rest (<c>OTEL_SERVICE_NAME</c>, headers, protocol) itself.
    /// </summary>
    public static bool ExportsByEnvironment(IConfiguration configuration) =>
        !string.Equals(configuration["OTEL_SDK_DISABLED"], "true", StringComparison.OrdinalIgnoreCase)
        && !string.Equals(configuration["OTEL_TRACES_EXPORTER"], "none", StringComparison.OrdinalIgnoreCase)
        && (!string.IsNullOrWhiteSpace(configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]) || !string.IsNullOrWhiteSpace(configuration["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"]));

    /// <summary>
    /// Every source a gateway trace is made of: the gateway's own spans, ASP.NET Core's server spans (not for
    /// <c>/metrics</c> and health probes), YARP's forwarding and HttpClient's calls upstream, Npgsql's commands and
    /// StackExchange.Redis' commands (OpenTelemetry's contrib instrumentation, from the multiplexer in DI).
    /// </summary>
    public static TracerProviderBuilder AddGatewaySources(this TracerProviderBuilder tracing) => tracing
        .AddSource(SourceName)
        .AddSource("Yarp.ReverseProxy")
        .AddAspNetCoreInstrumentation(o => o.Filter = context => !IsProbe(context.Request.Path))
        .AddHttpClientInstrumentation()
        .AddNpgsql()
        .AddRedisInstrumentation();

    private static bool IsProbe(PathString path) =>
        path.StartsWithSegments("/metrics") || path.StartsWithSegments("/health");
}
