using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using Ranking.Gateway.LoadTests.Hosting;
using Ranking.Gateway.LoadTests.Measurement;
using Ranking.Gateway.LoadTests.Report;
using Ranking.Gateway.LoadTests.Scenarios.Overload;
using StackExchange.Redis;

namespace Ranking.Gateway.LoadTests.Scenarios;

/// <summary>
/// A soft purge of every group under the read load (issue 21): the groups filled, then the Zipf mix on every instance,
/// and 5 s in, <c>POST /_admin/purge</c> of all groups, soft (1,000 a call, the calls spread over the instances). Measured:
/// the most Top-N queries PostgreSQL ran at once (pg_stat_activity every 50 ms) against the instances' bulkheads, how long
/// until no entry is marked purged any more (Redis read twice a second), the answers (no 5xx, no MISS: a purged group is
/// STALE until refreshed) and the origin queries against the groups purged (one refresh each).
/// </summary>
internal static class PurgeScenario
{
    public const string AdminKey = "purge-scenario-admin-key-7c1e9a4b2d6f8e0a3c5b";

    public static readonly IReadOnlyList<string> Settings = [$"Admin:ApiKey={AdminKey}"];

    private const int PerCall = 1000;

    private static readonly TimeSpan PurgeAt = TimeSpan.FromSeconds(5);

    public static async Task RunAsync(TestBed bed, RunReport report, CancellationToken cancellationToken)
    {
        var args = bed.Args;
        var (maxFetches, _) = FloodScenario.Bulkhead(bed);
        var pace = GatewaySettings.Int(bed.InstanceSettings, "Gateway:PurgeRefreshRate", 200);
        var instances = bed.Gateways.Count;
        report.Setup.Add($"Bulkhead: MaxConcurrentFetches {maxFetches} per instance × {instances}; Gateway:PurgeRefreshRate {pace} refreshes/s per instance. "
            + $"Purge of all {args.Groups:N0} groups, soft, {PurgeAt.TotalSeconds:0} s into the read load, {PerCall:N0} groups a call, the calls spread over the instances.");

        var fill = await SteadyLoad.FillAsync(bed, args.Groups, cancellationToken);
        report.Phases.Add(fill);
        StandardChecks.AllAnswered(report, fill);

        await using var redis = await ConnectionMultiplexer.ConnectAsync(bed.Redis.ConnectionString);
        var activity = new PgActivityReader(bed.Postgres, bed.Args.Database);
        var markers = new List<Marker>();
        var purge = new PurgeOutcome();
        async Task PurgeAsync(long start)
        {
            await Task.Delay(PurgeAt, cancellationToken);
            var sampler = PeriodicSampler<PgActivityReading>.Start(activity.ReadAsync, TimeSpan.FromMilliseconds(50));
            purge.Started = Stopwatch.GetElapsedTime(start);
            markers.Add(new Marker(purge.Started, "purge"));
            var calls = Enumerable.Range(0, (args.Groups + PerCall - 1) / PerCall).Select(call =>
                CallAsync(bed, bed.Gateways[call % instances], Enumerable.Range((call * PerCall) + 1, Math.Min(PerCall, args.Groups - (call * PerCall))), cancellationToken));
            foreach (var (status, affected) in await Task.WhenAll(calls))
            {
                purge.Statuses.Add(status);
                purge.Affected += affected;
            }

            purge.Answered = Stopwatch.GetElapsedTime(start);
            purge.AllFresh = await UntilNoneMarkedAsync(redis.GetDatabase(), $"lt-{bed.RunId}:", args.Groups, start, args.Duration - PurgeAt, cancellationToken);
            if (purge.AllFresh is { } allFresh)
            {
                markers.Add(new Marker(allFresh, "all fresh again"));
            }

            await sampler.DisposeAsync();
            purge.Activity = sampler.Readings.Select(r => r.Value).ToArray();
        }

        var phase = await SteadyLoad.RunAsync(bed, "purge", args.Groups, args.Rate ?? 1000, null, args.Duration, cancellationToken, PurgeAsync);
        report.Phases.Add(phase);
        report.Timeline = (phase, markers);
        Check(report, phase, purge, args.Groups, maxFetches * instances, pace * instances);
    }

    private static void Check(RunReport report, PhaseResult phase, PurgeOutcome purge, int groups, int bulkhead, int pace)
    {
        StandardChecks.AllAnswered(report, phase);
        report.Hard(
            "purge calls", $"every call 200, {groups:N0} entries affected",
            $"{string.Join(", ", purge.Statuses.GroupBy(s => s).Select(s => $"{s.Count()}× {s.Key}"))}; {purge.Affected:N0} affected, answered {(purge.Answered - purge.Started).TotalMilliseconds:N0} ms after the first call",
            purge.Statuses.All(s => s == 200) && purge.Affected == groups);
        var peak = purge.Activity.Length == 0 ? 0 : purge.Activity.Max(a => a.TopN);
        report.Hard(
            "Top-N queries PostgreSQL ran at once after the purge", $"≤ {bulkhead} (MaxConcurrentFetches × instances)",
            $"peak {peak} in {purge.Activity.Length:N0} pg_stat_activity readings (mean {(purge.Activity.Length == 0 ? 0 : purge.Activity.Average(a => a.TopN)):0.0})",
            peak <= bulkhead && purge.Activity.Length > 0);
        var best = TimeSpan.FromSeconds((double)groups / pace);
        report.Hard(
            "every purged group fresh again", $"within the run (at the purge pace, {best.TotalSeconds:0.#} s)",
            purge.AllFresh is { } at ? $"{(at - purge.Started).TotalSeconds:0.0} s after the purge" : "not within the run",
            purge.AllFresh is not null);
        var after = phase.Samples.Where(s => Stopwatch.GetElapsedTime(0, s.StartTicks) >= purge.Answered).ToArray();
        var misses = after.Count(s => s.Answer == CacheAnswer.Miss);
        report.Hard(
            "reads of purged groups answered MISS", "0 (STALE until refreshed)", $"{misses:N0} of {after.Length:N0} reads after the purge", misses == 0);
        var queries = phase.Origin?.Queries;
        report.Target(
            "origin queries for the purge", $"one refresh per group: ≤ {groups * 1.02:N0}",
            queries is null ? "not counted" : $"{queries:N0} during the phase for {groups:N0} groups purged",
            queries <= groups * 1.02);
        report.Notes.Add($"After the purge: {after.Count(s => s.Answer == CacheAnswer.Stale):N0} STALE, {after.Count(s => s.Answer == CacheAnswer.Fresh):N0} FRESH, {misses:N0} MISS answers.");
    }

    private static async Task<(int Status, long Affected)> CallAsync(TestBed bed, Uri gateway, IEnumerable<int> groups, CancellationToken cancellationToken)
    {
        var body = $"{{\"groups\": [{string.Join(",", groups.Select(g => $"\"g{g}\""))}], \"soft\": true}}";
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(gateway, "/_admin/purge"))
        {
            Content = new StringContent(body, Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", AdminKey);
        using var response = await bed.Client.Http.SendAsync(request, cancellationToken);
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        var affected = response.IsSuccessStatusCode ? System.Text.Json.JsonDocument.Parse(text).RootElement.GetProperty("affected").GetInt64() : 0;
        return ((int)response.StatusCode, affected);
    }

    // Reads the entries still marked purged (field p of each group's entry hash) twice a second, each time only those
    // that were marked at the last reading, until none is; null when some still are at the end of the run.
    private static async Task<TimeSpan?> UntilNoneMarkedAsync(IDatabase redis, string prefix, int groups, long start, TimeSpan within, CancellationToken cancellationToken)
    {
        var marked = Enumerable.Range(1, groups).ToList();
        var until = Stopwatch.GetElapsedTime(start) + within;
        while (Stopwatch.GetElapsedTime(start) < until)
        {
            var still = await Task.WhenAll(marked.Select(async g => (g, await redis.HashExistsAsync($"{prefix}{{ranking:g{g}}}:entry", "p"))));
            marked = [.. still.Where(s => s.Item2).Select(s => s.g)];
            if (marked.Count == 0)
            {
                return Stopwatch.GetElapsedTime(start);
            }

            await Task.Delay(500, cancellationToken);
        }

        return null;
    }

    private sealed class PurgeOutcome
    {
        public TimeSpan Started { get; set; }

        public TimeSpan Answered { get; set; }

        public TimeSpan? AllFresh { get; set; }

        public List<int> Statuses { get; } = [];

        public long Affected { get; set; }

        public PgActivityReading[] Activity { get; set; } = [];
    }
}
