using BenchmarkDotNet.Running;

namespace Ranking.Gateway.Benchmarks;

internal static class BenchmarkProgram
{
    // Arguments go to BenchmarkDotNet (e.g. --filter '*Ranking*', --artifacts DIR).
    public static void Main(string[] args) => BenchmarkRunner.Run<FreshHitBenchmarks>(args: args);
}
