using System.Diagnostics;
using Ranking.Gateway.LoadTests.Hosting;
using Ranking.Gateway.LoadTests.Measurement;

namespace Ranking.Gateway.LoadTests.Scenarios;

/// <summary>
/// The steady Zipf mix over the instances while their Redis, a redis-server of the run's own, is frozen with SIGSTOP
/// and thawed with SIGCONT: unlike a stopped Redis, a frozen one keeps its connections open and answers nothing, so
/// only timeouts tell the gateways.
/// </summary>
internal static class RedisFreeze
{
    public static async Task<RedisFreezeResult> RunAsync(
        TestBed bed, string name, double rate, TimeSpan duration, TimeSpan freezeAt, TimeSpan freezeFor, CancellationToken cancellationToken)
    {
        var redis = bed.Redis as PrivateRedis ?? throw new SetupException("a Redis freeze needs a redis-server of the run's own.");
        TimeSpan frozenAt = default, thawedAt = default;

        async Task FreezeAsync(long phaseStart)
        {
            // Each time is taken just before kill(1) runs, which delivers the signal a few milliseconds later: a request
            // sent in between counts as sent during the freeze (or after the thaw), so neither figure flatters the gateway.
            await Task.Delay(freezeAt, cancellationToken);
            frozenAt = Stopwatch.GetElapsedTime(phaseStart);
            try
            {
                await redis.FreezeAsync();
                await Task.Delay(freezeAt + freezeFor - Stopwatch.GetElapsedTime(phaseStart), cancellationToken);
            }
            finally
            {
                thawedAt = Stopwatch.GetElapsedTime(phaseStart);
                await redis.ThawAsync();
            }
        }

        var metrics = new MetricReader(bed.Client.Http, bed.Gateways);
        string[] counted = [MetricReader.OriginRejected, MetricReader.RedisFailures];
        var before = await metrics.ReadAsync(counted, cancellationToken);
        var phase = await SteadyLoad.RunAsync(bed, name, bed.Args.Groups, rate, null, duration, cancellationToken, FreezeAsync);
        var after = await metrics.ReadAsync(counted, cancellationToken);
        var l1 = GatewaySettings.Time(bed.InstanceSettings, $"Gateway:Policies:{GatewaySettings.Find(bed.InstanceSettings, "Ranking:Policy") ?? "ranking"}:L1", TimeSpan.FromSeconds(2));
        return new RedisFreezeResult(phase, frozenAt, thawedAt, l1, after[0] - before[0], after[1] - before[1]);
    }
}
