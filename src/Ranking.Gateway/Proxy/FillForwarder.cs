using System.Diagnostics.CodeAnalysis;
using Ranking.Gateway.Caching;
using Ranking.Gateway.Hosting;
using Yarp.ReverseProxy;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Health;
using Yarp.ReverseProxy.LoadBalancing;
using Yarp.ReverseProxy.Model;

namespace Ranking.Gateway.Proxy;

/// <summary>
/// Sends the cache's own upstream requests (miss fills and background refreshes) the way YARP's proxy pipeline sends a
/// route's requests: the route's request and response transforms, the cluster's load-balancing policy over its healthy
/// destinations (active and passive health), its <c>HttpRequest</c> settings and its HttpClient, and passive health fed
/// with the outcome. What is not applied, and why: session affinity (a cached answer is shared, so it has no session),
/// and the destination's in-flight request count that LeastRequests reads (YARP keeps it internal).
/// </summary>
internal sealed partial class FillForwarder(
    IHttpForwarder forwarder,
    IProxyStateLookup proxyState,
    IEnumerable<ILoadBalancingPolicy> loadBalancing,
    IEnumerable<IPassiveHealthCheckPolicy> passiveHealth,
    IServiceProvider services,
    TimeProvider time,
    ILogger<FillForwarder> logger)
{
    private const string DefaultLoadBalancing = "PowerOfTwoChoices";
    private const string DefaultPassiveHealth = "TransportFailureRate";

    // Headers of an answer that are about one connection or one transfer (RFC 9111 §3.1), that the entry holds apart
    // (Content-Type, ETag), or that the cache sets itself (Age, its status). Everything else is stored as it came.
    private static readonly HashSet<string> NotStored = new(StringComparer.OrdinalIgnoreCase)
    {
        "Connection", "Keep-Alive", "Proxy-Connection", "TE", "Transfer-Encoding", "Trailer", "Upgrade",
        "Proxy-Authenticate", "Proxy-Authentication-Info", "Proxy-Authorization",
        "Content-Type", "Content-Length", "ETag", "Age", "X-Cache-Status", "Cache-Status",
    };

    /// <summary>Fetches through route <see cref="FillRequest.RouteId"/>: its transforms, its cluster.</summary>
    /// <param name="slot">Where an answer the cache cannot keep goes, for the client waiting on a miss; null when none waits.</param>
    /// <returns>The answer, or a failure: the route or a destination is missing, the upstream could not be reached or timed out.</returns>
    public Task<OriginResult> FetchAsync(FillRequest fill, CachePolicy policy, HandoffSlot? slot, CancellationToken cancellationToken) =>
        proxyState.TryGetRoute(fill.RouteId, out var route) && route.Cluster is { } cluster
            ? SendAsync(fill, cluster, route.Transformer, policy, slot, keepEvery: false, route.Config.Metadata?.GetValueOrDefault(CachePolicyMetadata.Tags), cancellationToken)
            : Task.FromResult<OriginResult>(Unreachable($"Route '{fill.RouteId}' or its cluster is not configured."));

    /// <summary>Fetches from a cluster with no route of its own (the ranking endpoint's upstream origin): no transforms.</summary>
    public Task<OriginResult> FetchAsync(string clusterId, FillRequest fill, CachePolicy policy, CancellationToken cancellationToken) =>
        proxyState.TryGetCluster(clusterId, out var cluster)
            ? SendAsync(fill, cluster, HttpTransformer.Empty, policy, slot: null, keepEvery: true, staticTags: null, cancellationToken)
            : Task.FromResult<OriginResult>(Unreachable($"Cluster '{clusterId}' is not configured."));

    private static OriginFailure Unreachable(string message, Exception? cause = null) => new(OriginFailureKind.Error, message, Cause: cause);

    private async Task<OriginResult> SendAsync(
        FillRequest fill,
        ClusterState cluster,
        HttpTransformer routeTransformer,
        CachePolicy policy,
        HandoffSlot? slot,
        bool keepEvery,
        string? staticTags,
        CancellationToken cancellationToken)
    {
        if (!TryPickDestination(cluster, out var destination, out var noDestination))
        {
            return noDestination;
        }

        var body = new FillResponseBody(policy.MaxBodyBytes, canHandOff: slot is not null);
        var context = fill.ToHttpContext(services, body);
        var transformer = new FillTransformer(routeTransformer, policy, fill, keepEvery, body, time);
        var abort = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var sending = ForwardAsync(context, cluster, destination, transformer, body, abort.Token);

        // Either the whole answer arrives (for the cache), or it is handed to the waiting client while still arriving.
        await Task.WhenAny(sending, body.HandedOff);
        if (body.HandedOff.IsCompleted)
        {
            var handoff = new Handoff(context.Response, body.Reader!, sending, abort);
            if (!slot!.TryPut(handoff))
            {
                await handoff.DisposeAsync();
            }

            return new OriginResponse(context.Response.StatusCode, context.Response.ContentType ?? "application/octet-stream", [], [], Storable: false)
            {
                Caching = transformer.Caching,
            };
        }

        abort.Dispose();
        var error = await sending;
        if (error != ForwarderError.None)
        {
            var failure = context.Features.Get<IForwarderErrorFeature>()?.Exception;
            // Timed out by the policy's OriginTimeout or by the cluster's HttpRequest:ActivityTimeout.
            return cancellationToken.IsCancellationRequested || error == ForwarderError.RequestTimedOut
                ? new OriginFailure(OriginFailureKind.Timeout, "The upstream did not answer in time.", Cause: failure)
                : Unreachable($"The upstream could not be reached ({error}).", failure);
        }

        var response = context.Response;
        var caching = body.Overflowed ? transformer.Caching! with { NotStorable = "too-large" } : transformer.Caching;
        return new OriginResponse(
            response.StatusCode,
            // A 304 without one updates nothing (Revalidation.Merge); any other answer without one is octets.
            response.ContentType ?? (response.StatusCode == StatusCodes.Status304NotModified ? "" : "application/octet-stream"),
            body.Kept,
            StoredHeaders(response, policy),
            Storable: transformer.Storable && !body.Overflowed)
        {
            Caching = caching,
            ETag = response.Headers.ETag is [{ Length: > 0 } etag, ..] ? etag : null,
            Tags = EntryTags.Parse([.. response.Headers[policy.TagHeader], staticTags]),
        };
    }

    private async Task<ForwarderError> ForwardAsync(HttpContext context, ClusterState cluster, DestinationState destination, HttpTransformer transformer, FillResponseBody body, CancellationToken cancellationToken)
    {
        var error = ForwarderError.None;
        try
        {
            var config = cluster.Model.Config;
            error = await forwarder.SendAsync(context, destination.Model.Config.Address, cluster.Model.HttpClient, config.HttpRequest ?? ForwarderRequestConfig.Empty, transformer, cancellationToken);
            ReportHealth(context, cluster, destination);
            return error;
        }
        finally
        {
            body.Complete(error == ForwarderError.None ? null : new IOException($"The upstream answer broke off ({error})."));
        }
    }

    // As YARP's load-balancing middleware: the cluster's policy over the destinations health checks left available.
    private bool TryPickDestination(ClusterState cluster, [NotNullWhen(true)] out DestinationState? destination, out OriginFailure failure)
    {
        var available = cluster.DestinationsState.AvailableDestinations;
        failure = Unreachable($"Cluster '{cluster.ClusterId}' has no healthy destination.");
        if (available.Count <= 1)
        {
            destination = available.Count == 0 ? null : available[0];
            return destination is not null;
        }

        var name = cluster.Model.Config.LoadBalancingPolicy ?? DefaultLoadBalancing;
        if (loadBalancing.FirstOrDefault(p => p.Name.Equals(name, StringComparison.OrdinalIgnoreCase)) is not { } policy)
        {
            failure = Unreachable($"Cluster '{cluster.ClusterId}' names load-balancing policy '{name}', which does not exist.");
            destination = null;
            return false;
        }

        destination = policy.PickDestination(new DefaultHttpContext { RequestServices = services }, cluster, available);
        return destination is not null;
    }

    // As YARP's passive health middleware: the outcome of the request counts toward the destination's health.
    private void ReportHealth(HttpContext context, ClusterState cluster, DestinationState destination)
    {
        var passive = cluster.Model.Config.HealthCheck?.Passive;
        if (passive?.Enabled != true)
        {
            return;
        }

        var name = passive.Policy ?? DefaultPassiveHealth;
        if (passiveHealth.FirstOrDefault(p => p.Name.Equals(name, StringComparison.OrdinalIgnoreCase)) is { } policy)
        {
            policy.RequestProxied(context, cluster, destination);
        }
        else
        {
            Log.UnknownHealthPolicy(logger, cluster.ClusterId, name);
        }
    }

    // What a stored answer replays to every client: its headers as the route's transforms left them (less those its
    // Connection header named, FillTransformer), each line as it came, less NotStored; a Set-Cookie only where the policy
    // stores them. Its Vary names the headers the policy keys on too, so a cache in front keeps their answers apart.
    private static List<KeyValuePair<string, string>> StoredHeaders(HttpResponse response, CachePolicy policy)
    {
        var stored = new List<KeyValuePair<string, string>>();
        foreach (var (name, values) in response.Headers)
        {
            // The tag header is kept as the entry's tags (sent downstream only where the policy says, AnswerWriter).
            if (NotStored.Contains(name) || name.Equals(policy.TagHeader, StringComparison.OrdinalIgnoreCase)
                || (!policy.StoreSetCookie && name.Equals("Set-Cookie", StringComparison.OrdinalIgnoreCase)))
            {
                continue;
            }

            foreach (var value in values)
            {
                stored.Add(new(name, value ?? ""));
            }
        }

        var vary = response.Headers.Vary.ToString().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var missing = policy.VaryByHeaders.Where(name => !vary.Contains(name, StringComparer.OrdinalIgnoreCase)).ToArray();
        if (missing.Length > 0)
        {
            stored.Add(new("Vary", string.Join(", ", missing)));
        }

        return stored;
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.UnknownHealthPolicy, Level = LogLevel.Warning, Message = "Cluster {Cluster} names passive health policy {Policy}, which does not exist; cache fills do not report to it.")]
        public static partial void UnknownHealthPolicy(ILogger logger, string cluster, string policy);
    }
}
