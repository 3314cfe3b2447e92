using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Trace;
using Ranking.Gateway.Caching;
using Ranking.Gateway.Hosting;
using Ranking.Gateway.Refresh.Queue;
using Ranking.Gateway.Tests.Infrastructure;
using Ranking.Gateway.Tests.Proxy;
using Ranking.Gateway.Tests.Refresh;

namespace Ranking.Gateway.Tests.Hosting;

/// <summary>
/// Traces, as an operator's backend would receive them: the gateway's sources (<see cref="GatewayTracing.AddGatewaySources"/>)
/// into OpenTelemetry's in-memory exporter. Alone: a tracer provider listens to sources process-wide, so spans of
/// other tests' hosts would mix in.
/// </summary>
[Collection(AloneCollection.Name)]
public sealed class TracingTests : IAsyncLifetime
{
    private static readonly TimeSpan Period = TimeSpan.FromSeconds(10);
    private readonly Spans _spans = new();
    private RefreshFleet _fleet = null!;

    public async Task InitializeAsync() => _fleet = await RefreshFleet.CreateAsync(Period);

    public async Task DisposeAsync() => await _fleet.DisposeAsync();

    [Fact]
    public async Task A_miss_is_one_trace_the_request_the_lookup_the_lock_the_origin_fetch_and_its_sql()
    {
        await _fleet.Database.SeedAsync("m1", 5);
        var (_, client) = Start("Lazy");

        var traceId = ActivityTraceId.CreateRandom();
        var answer = await client.SendAnswerAsync(Traced("/ranking/m1", traceId));
        Assert.Equal("MISS", answer.CacheStatus);

        // Redis commands are turned into spans after the fact (the instrumentation drains the multiplexer's profiler).
        var trace = await _spans.TraceAsync(traceId, t => t.Any(s => s.OperationName == GatewayTracing.OriginFetch && s.Children(_spans).Any(IsSql)) && t.Any(IsRedisRead));
        var server = Assert.Single(trace, s => s.Kind == ActivityKind.Server);
        var lookup = Assert.Single(trace, s => s.OperationName == GatewayTracing.Lookup);
        Assert.Equal(server.SpanId, lookup.ParentSpanId);
        Assert.Equal("MISS", lookup.GetTagItem(GatewayTracing.CacheStatus));
        Assert.Equal("ranking", lookup.GetTagItem(GatewayTracing.Policy));
        var locking = Assert.Single(trace, s => s.OperationName == GatewayTracing.Lock);
        Assert.True(lookup.IsAncestorOf(locking, trace));
        Assert.Equal(true, locking.GetTagItem(GatewayTracing.LockAcquired));
        var fetch = Assert.Single(trace, s => s.OperationName == GatewayTracing.OriginFetch);
        Assert.True(lookup.IsAncestorOf(fetch, trace));
        Assert.Equal("miss", fetch.GetTagItem(GatewayTracing.FetchReason));
        Assert.Equal("ok", fetch.GetTagItem(GatewayTracing.Outcome));
        var sql = Assert.Single(fetch.Children(_spans), IsSql);
        Assert.Contains("ranking_scores", Statement(sql));
        Assert.Contains(trace, s => IsRedisRead(s) && lookup.IsAncestorOf(s, trace));
        Assert.DoesNotContain(trace.SelectMany(s => s.TagObjects), t => t.Value is string v && v.Contains("m1", StringComparison.Ordinal) && !t.Key.StartsWith("url", StringComparison.Ordinal) && !t.Key.StartsWith("http", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_miss_on_a_cached_route_traces_the_fill_upstream_under_the_origin_fetch()
    {
        await using var upstream = new UpstreamServer();
        await upstream.StartAsync();
        await using var host = ProxyHosts.Create(_fleet.Database, _fleet.Prefix, _fleet.Time, upstream, services: Tracing);
        using var client = host.CreateClient();

        var traceId = ActivityTraceId.CreateRandom();
        Assert.Equal("MISS", (await client.SendAnswerAsync(Traced("/api/items/traced", traceId))).CacheStatus);

        var trace = await _spans.TraceAsync(traceId, t => t.Any(s => s.Kind == ActivityKind.Client && s.Source.Name == "System.Net.Http"));
        var lookup = Assert.Single(trace, s => s.OperationName == GatewayTracing.Lookup);
        Assert.Equal(("MISS", "upstream"), (lookup.GetTagItem(GatewayTracing.CacheStatus), lookup.GetTagItem(GatewayTracing.Policy)));
        var fetch = Assert.Single(trace, s => s.OperationName == GatewayTracing.OriginFetch);
        var call = Assert.Single(trace, s => s.Kind == ActivityKind.Client && s.Source.Name == "System.Net.Http");
        Assert.True(fetch.IsAncestorOf(call, trace));
        Assert.Equal(200, call.GetTagItem("http.response.status_code"));
    }

    [Fact]
    public async Task A_stale_read_is_answered_in_its_trace_and_its_background_refresh_is_a_trace_of_its_own_linked_to_it()
    {
        await _fleet.Database.SeedAsync("s1", 5);
        var (_, client) = Start("Lazy");
        Assert.Equal("MISS", (await client.GetAnswerAsync("/ranking/s1")).CacheStatus);
        _fleet.Time.Advance(TimeSpan.FromSeconds(61)); // past Fresh (60 s), within Stale

        var traceId = ActivityTraceId.CreateRandom();
        Assert.Equal("STALE", (await client.SendAnswerAsync(Traced("/ranking/s1", traceId))).CacheStatus);

        var lookup = (await _spans.TraceAsync(traceId, s => s.OperationName == GatewayTracing.Lookup)).Single(s => s.OperationName == GatewayTracing.Lookup);
        Assert.Equal("STALE", lookup.GetTagItem(GatewayTracing.CacheStatus));
        var refresh = await _spans.FindAsync(s => s.OperationName == GatewayTracing.Refresh && s.Links.Any(l => l.Context.TraceId == traceId));
        Assert.NotEqual(traceId, refresh.TraceId);
        Assert.Equal(default, refresh.ParentSpanId);
        Assert.Equal(lookup.SpanId, Assert.Single(refresh.Links).Context.SpanId);
        var trace = await _spans.TraceAsync(refresh.TraceId, s => s.OperationName == GatewayTracing.Refresh);
        var fetch = Assert.Single(trace, s => s.OperationName == GatewayTracing.OriginFetch);
        Assert.Equal("refresh", fetch.GetTagItem(GatewayTracing.FetchReason));
        Assert.Contains(fetch.Children(_spans), IsSql);
        Assert.Equal(Refreshed.Stored, refresh.GetTagItem(GatewayTracing.Outcome));
    }

    [Fact]
    public async Task A_queue_change_is_one_trace_from_the_producer_through_the_consumer_to_the_batch_sql()
    {
        await _fleet.Database.SeedAsync("q1", 5);
        await _fleet.Database.SeedAsync("q2", 5);
        var (host, _) = Start("Queue", ("Ranking:Refresh:WatermarkOverlap", "00:00:00"), ("Ranking:Refresh:LeaseDuration", "00:00:01"));
        await Eventually.Until(() => host.Services.GetRequiredService<QueueConsumer>().Handled >= 2, "the first pass's two groups handled");

        await _fleet.Database.ExecuteAsync("UPDATE ranking_scores SET score = 1000000, updated_at = now() WHERE group_id = 'q2' AND user_id = 'u3'");
        _fleet.Time.Advance(Period);
        await Eventually.Until(() => host.Services.GetRequiredService<QueueConsumer>().Handled >= 3, "the change handled");

        // The pass that queued q2: its trace holds the publish, the consumer's processing, the batch and its statement.
        var batch = await _spans.FindAsync(s => s.OperationName == GatewayTracing.Batch && (int?)s.GetTagItem(GatewayTracing.Groups) == 1);
        var trace = await _spans.TraceAsync(batch.TraceId, t => t.Any(s => s.OperationName == GatewayTracing.ProducerPass));
        var pass = Assert.Single(trace, s => s.OperationName == GatewayTracing.ProducerPass);
        Assert.Equal(default, pass.ParentSpanId);
        var publish = Assert.Single(trace, s => s.OperationName == GatewayTracing.Publish);
        Assert.Equal(ActivityKind.Producer, publish.Kind);
        Assert.True(pass.IsAncestorOf(publish, trace));
        var process = Assert.Single(trace, s => s.OperationName == GatewayTracing.Process);
        Assert.Equal(ActivityKind.Consumer, process.Kind);
        Assert.Equal(publish.SpanId, process.ParentSpanId);
        Assert.Equal("redis", process.GetTagItem(GatewayTracing.MessagingSystem));
        Assert.Equal(process.SpanId, batch.ParentSpanId);
        var sql = Assert.Single(batch.Children(_spans), IsSql);
        Assert.Contains("unnest", Statement(sql));
    }

    private (GatewayHost Host, HttpClient Client) Start(string mode, params (string Key, string Value)[] more) =>
        _fleet.Start(_fleet.Settings(mode, more.ToDictionary(m => m.Key, m => (string?)m.Value)), Tracing);

    private void Tracing(IServiceCollection services) =>
        services.AddOpenTelemetry().WithTracing(tracing => tracing.AddGatewaySources().AddInMemoryExporter(_spans));

    private static HttpRequestMessage Traced(string path, ActivityTraceId traceId)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Add("traceparent", $"00-{traceId}-{ActivitySpanId.CreateRandom()}-01");
        return request;
    }

    private static bool IsRedisRead(Activity span) =>
        span.Source.Name == "OpenTelemetry.Instrumentation.StackExchangeRedis" && (string?)span.GetTagItem("db.statement") == "HMGET";

    // A statement's span (Npgsql also traces opening a physical connection).
    private static bool IsSql(Activity span) => span.Source.Name == "Npgsql" && Statement(span).Length > 0;

    private static string Statement(Activity span) => (string?)span.GetTagItem("db.query.text") ?? (string?)span.GetTagItem("db.statement") ?? "";

    /// <summary>The exported spans: the exporter adds from whichever thread ended a span.</summary>
    private sealed class Spans : ICollection<Activity>
    {
        private readonly List<Activity> _all = [];

        public int Count
        {
            get
            {
                lock (_all)
                {
                    return _all.Count;
                }
            }
        }

        public bool IsReadOnly => false;

        public Activity[] All()
        {
            lock (_all)
            {
                return [.. _all];
            }
        }

        public async Task<Activity> FindAsync(Func<Activity, bool> match) =>
            (await Eventually.Until(() => Task.FromResult(All().FirstOrDefault(match)), s => s is not null, "the span"))!;

        /// <summary>The spans of one trace, once <paramref name="complete"/> says every one wanted has ended.</summary>
        public Task<Activity[]> TraceAsync(ActivityTraceId traceId, Func<Activity, bool> complete) =>
            TraceAsync(traceId, trace => trace.Any(complete));

        public Task<Activity[]> TraceAsync(ActivityTraceId traceId, Func<Activity[], bool> complete) =>
            Eventually.Until(() => Task.FromResult(All().Where(s => s.TraceId == traceId).ToArray()), complete, $"the spans of trace {traceId}");

        public void Add(Activity item)
        {
            lock (_all)
            {
                _all.Add(item);
            }
        }

        public void Clear()
        {
            lock (_all)
            {
                _all.Clear();
            }
        }

        public bool Contains(Activity item) => All().Contains(item);

        public void CopyTo(Activity[] array, int arrayIndex) => All().CopyTo(array, arrayIndex);

        public bool Remove(Activity item)
        {
            lock (_all)
            {
                return _all.Remove(item);
            }
        }

        public IEnumerator<Activity> GetEnumerator() => ((IEnumerable<Activity>)All()).GetEnumerator();

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }
}

internal static class SpanTree
{
    public static IEnumerable<Activity> Children(this Activity span, IEnumerable<Activity> all) =>
        all.Where(s => s.TraceId == span.TraceId && s.ParentSpanId == span.SpanId);

    public static bool IsAncestorOf(this Activity ancestor, Activity span, IReadOnlyList<Activity> trace)
    {
        for (var parent = span.ParentSpanId; parent != default;)
        {
            if (parent == ancestor.SpanId)
            {
                return true;
            }

            parent = trace.FirstOrDefault(s => s.SpanId == parent)?.ParentSpanId ?? default;
        }

        return false;
    }
}
