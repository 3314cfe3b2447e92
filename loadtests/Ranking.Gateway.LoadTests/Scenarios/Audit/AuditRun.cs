using System.Diagnostics;
using Npgsql;
using Ranking.Gateway.LoadTests.Cli;
using Ranking.Gateway.LoadTests.Hosting;
using Ranking.Gateway.LoadTests.Measurement;
using Ranking.Gateway.LoadTests.Seeding;
using StackExchange.Redis;

namespace Ranking.Gateway.LoadTests.Scenarios.Audit;

/// <summary>
/// One mode's audit: two instances on a Redis of their own and the audit database (their PostgreSQL connections through
/// a relay the run can cut), a reader per instance from start to end, the writer, and the faults at their times.
/// </summary>
internal static class AuditRun
{
    public static async Task<(AuditResult Result, IReadOnlyList<string> Setup)> RunAsync(Arguments args, string mode, AuditPlan plan, string runId, CancellationToken cancellationToken)
    {
        var seeded = await Seeder.EnsureAsync(args.Postgres, args.Database, AuditPlan.Groups, AuditPlan.Users, cancellationToken);
        var direct = new NpgsqlConnectionStringBuilder(Seeder.ConnectionString(args.Postgres, args.Database));
        await using var relay = new TcpRelay(direct.Host!, direct.Port);
        var throughRelay = new NpgsqlConnectionStringBuilder(direct.ConnectionString) { Port = relay.Port, MaxPoolSize = 50 }.ConnectionString;
        var options = new TestBedOptions(AuditPlan.Groups, TimeSpan.Zero, Fresh: null, HitGateway: false, PrivateRedis: true, AuditPlan.Settings(mode, throughRelay));
        await using var bed = await TestBed.StartAsync(args with { Instances = 2, Groups = AuditPlan.Groups, Users = AuditPlan.Users }, options, cancellationToken, runId);
        var redis = (PrivateRedis)bed.Redis;
        await using var writerRedis = await ConnectionMultiplexer.ConnectAsync($"{redis.ConnectionString},abortConnect=false,connectTimeout=1000,syncTimeout=1000,asyncTimeout=1000");
        await using var writerDatabase = NpgsqlDataSource.Create(direct.ConnectionString);
        var writer = new AuditWriter(writerDatabase, writerRedis, $"lt-{bed.RunId}:", args.Seed);
        await writer.StartAboveAsync(cancellationToken);

        var readers = bed.Gateways.Select((url, i) => new AuditReader(bed.Client.Http, i + 1) { Target = url }).ToArray();
        using var stopReading = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var reading = readers.Select(r => r.RunAsync(stopReading.Token)).ToArray();
        await WaitCachedAsync(readers, cancellationToken);

        Console.Error.WriteLine($"audit {mode}: {plan.Length.TotalSeconds:0} s of writes every {AuditPlan.WriteEvery.TotalMilliseconds:0} ms, reads on {readers.Length} instances, faults: {string.Join("; ", plan.Faults.Select(f => f.Describe()))} ...");
        var clock = Stopwatch.StartNew();
        var started = DateTimeOffset.UtcNow;
        using var stopWriting = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var writing = writer.RunAsync(AuditPlan.WriteEvery, stopWriting.Token);
        var replacements = 0;
        foreach (var fault in plan.Faults)
        {
            await UntilAsync(clock, fault.At, cancellationToken);
            Console.Error.WriteLine($"audit {mode}: {fault.Describe()}");
            switch (fault.Kind)
            {
                case AuditFaultKind.DatabaseCut:
                    relay.Cut();
                    await UntilAsync(clock, fault.At + fault.For, cancellationToken);
                    relay.Restore();
                    break;
                case AuditFaultKind.RedisFrozen:
                    await redis.FreezeAsync();
                    await UntilAsync(clock, fault.At + fault.For, cancellationToken);
                    await redis.ThawAsync();
                    break;
                case AuditFaultKind.RedisKilled:
                    await redis.StopAsync();
                    await UntilAsync(clock, fault.At + fault.For, cancellationToken);
                    await redis.StartAsync();
                    break;
                default:
                    var slot = await VictimAsync(bed, readers, mode, cancellationToken);
                    var victim = bed.Started.Concat(Replaced).First(g => g.Url == readers[slot].Target);
                    readers[slot].Target = null;
                    await victim.KillAsync();
                    await UntilAsync(clock, fault.At + fault.For, cancellationToken);
                    var replacement = await bed.StartVariantAsync($"gateway-{slot + 1}-again-{++replacements}", []);
                    Replaced.Add(replacement);
                    readers[slot].Target = replacement.Url;
                    break;
            }
        }

        await UntilAsync(clock, plan.WritesUntil, cancellationToken);
        await stopWriting.CancelAsync();
        await writing;
        await UntilAsync(clock, plan.Length, cancellationToken);
        await stopReading.CancelAsync();
        await Task.WhenAll(reading);
        Replaced.Clear();

        var bound = AuditPlan.Bound(mode);
        var windows = plan.Faults.Select(f => (From: (started + f.At - bound).UtcTicks, To: (started + f.At + f.For + bound + TimeSpan.FromSeconds(5)).UtcTicks)).ToArray();
        var result = AuditResult.Of(mode, writer.Writes, readers, committedAt => !windows.Any(w => committedAt >= w.From && committedAt <= w.To));
        return (result, [seeded, .. bed.Setup.Skip(1), $"the gateways reach PostgreSQL through a TCP relay the run cuts (127.0.0.1:{relay.Port}); the writer connects directly"]);
    }

    // Replacement instances started by this run, so a later kill can find them (the test bed owns and stops them).
    private static readonly List<GatewayProcess> Replaced = [];

    // Every instance has answered every group 2xx: the cache is warm, and "cached before a fault" means every group.
    private static async Task WaitCachedAsync(IReadOnlyList<AuditReader> readers, CancellationToken cancellationToken)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(30)
            && !readers.All(r => r.Answers.ToArray().Where(a => a.Scores is not null).Select(a => a.Group).Distinct().Count() == AuditPlan.Groups))
        {
            await Task.Delay(100, cancellationToken);
        }
    }

    // Queue mode: the instance holding the producer's lease, when /metrics says which; otherwise the first.
    private static async Task<int> VictimAsync(TestBed bed, IReadOnlyList<AuditReader> readers, string mode, CancellationToken cancellationToken)
    {
        if (mode != "Queue")
        {
            return 0;
        }

        for (var i = 0; i < readers.Count; i++)
        {
            try
            {
                var metrics = await bed.Client.Http.GetStringAsync(new Uri(readers[i].Target!, "/metrics"), cancellationToken);
                if (PrometheusText.Sum(metrics, "gateway_refresh_leader") >= 1)
                {
                    return i;
                }
            }
            catch (HttpRequestException)
            {
                // Not this one.
            }
        }

        return 0;
    }

    private static async Task UntilAsync(Stopwatch clock, TimeSpan at, CancellationToken cancellationToken)
    {
        var wait = at - clock.Elapsed;
        if (wait > TimeSpan.Zero)
        {
            await Task.Delay(wait, cancellationToken);
        }
    }
}
