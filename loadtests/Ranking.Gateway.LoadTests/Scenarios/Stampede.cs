using System.Globalization;
using System.Text.Json;
using Ranking.Gateway.LoadTests.Cli;
using Ranking.Gateway.LoadTests.Load;
using Ranking.Gateway.LoadTests.Measurement;

namespace Ranking.Gateway.LoadTests.Scenarios;

/// <summary>The steps both stampedes share: pick a group, fire the burst over the instances, count the origin queries.</summary>
internal static class Stampede
{
    /// <summary>--group, else a random seeded group other than g1 (the hit baseline's).</summary>
    public static string PickGroup(Arguments args) => args.Group ?? $"g{(args.Groups < 2 ? 1 : Random.Shared.Next(2, args.Groups + 1))}";

    public static int GroupNumber(string group) =>
        group.StartsWith('g') && int.TryParse(group.AsSpan(1), NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : 0;

    /// <summary>Opens about one connection per client, spread over the instances, before the burst.</summary>
    public static Task WarmAsync(TestBed bed, int clients) =>
        Burst.WarmConnectionsAsync(bed.Client, bed.Gateways, (clients + bed.Gateways.Count - 1) / bed.Gateways.Count);

    /// <summary>
    /// Fires <paramref name="clients"/> requests for <paramref name="group"/> at once, client i to instance
    /// i mod n, and counts the origin queries it caused, waiting up to <paramref name="settle"/> for background
    /// refreshes to finish.
    /// </summary>
    public static async Task<PhaseResult> RunAsync(
        TestBed bed, string name, string description, string group, int clients, bool countOrigin, TimeSpan settle, CancellationToken cancellationToken)
    {
        var before = countOrigin ? await bed.Origin.ReadSettledAsync(null, 0, settle, cancellationToken) : null;
        var phase = await Burst.RunAsync(
            bed.Client, name, description, clients, i => bed.RankingUri(bed.Gateways[i % bed.Gateways.Count], group), GroupNumber(group));
        if (before is not null)
        {
            var after = await bed.Origin.ReadSettledAsync(before, 1, settle, cancellationToken);
            phase.Origin = after.Since(before);
        }

        return phase;
    }

    /// <summary>Reads a group once through the first instance: how it was answered, how long it took, and when its entry goes stale.</summary>
    public static async Task<(string Status, TimeSpan Latency, DateTimeOffset StaleAt)> ReadEntryAsync(TestBed bed, string group, CancellationToken cancellationToken)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        using var response = await bed.Client.Http.GetAsync(bed.RankingUri(bed.Gateways[0], group), cancellationToken);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        clock.Stop();
        if (!response.IsSuccessStatusCode)
        {
            throw new Hosting.SetupException($"{group} answered {(int)response.StatusCode}; a stampede needs a group that exists.");
        }

        using var document = JsonDocument.Parse(body);
        var generatedAt = document.RootElement.GetProperty("generatedAt").GetDateTimeOffset();
        var maxAge = response.Headers.CacheControl?.MaxAge ?? TimeSpan.Zero;
        var status = response.Headers.TryGetValues("X-Cache-Status", out var values) ? values.First() : "?";

        // max-age is whole seconds, rounded down: one more second is surely past the fresh window.
        return (status, clock.Elapsed, generatedAt + maxAge + TimeSpan.FromSeconds(1));
    }

    /// <summary>
    /// Reads a group until it is answered FRESH, so its stale time is known: on a busy machine the entry a cold
    /// stampede stored can already be stale when it is first read back, and that read starts a background refresh.
    /// </summary>
    public static async Task<(string Status, TimeSpan Latency, DateTimeOffset StaleAt)> ReadFreshEntryAsync(TestBed bed, string group, CancellationToken cancellationToken)
    {
        var deadline = DateTimeOffset.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            var entry = await ReadEntryAsync(bed, group, cancellationToken);
            if (entry.Status == "FRESH" || DateTimeOffset.UtcNow > deadline)
            {
                return entry;
            }

            Console.Error.WriteLine($"  {group} answered {entry.Status}; reading it again once it has been refreshed ...");
            await Task.Delay(TimeSpan.FromMilliseconds(200), cancellationToken);
        }
    }

    public static async Task WaitUntilAsync(DateTimeOffset at, CancellationToken cancellationToken)
    {
        var wait = at - DateTimeOffset.UtcNow;
        if (wait > TimeSpan.Zero)
        {
            Console.Error.WriteLine($"  waiting {wait.TotalSeconds:0.0} s for the entry to go stale ...");
            await Task.Delay(wait, cancellationToken);
        }
    }
}
