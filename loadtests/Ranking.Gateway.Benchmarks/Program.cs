using BenchmarkDotNet.Running;

namespace Ranking.Gateway.Benchmarks;

internal static class BenchmarkProgram
{
    // Arguments go to BenchmarkDotNet (e.g. --filter '*Ranking*', --artifacts DIR); --allocations CASE samples a case's
    // allocations by type instead (AllocationSampler); --codec runs EntryCodecBenchmarks (no services needed).
    public static async Task Main(string[] args)
    {
        if (args is ["--bytes"])
        {
            await AllocationSampler.BytesAsync();
            return;
        }

        if (args is ["--allocations", var name])
        {
            await AllocationSampler.RunAsync(name);
            return;
        }

        if (args is ["--codec", .. var rest])
        {
            BenchmarkRunner.Run<EntryCodecBenchmarks>(args: rest);
            return;
        }

        BenchmarkRunner.Run<FreshHitBenchmarks>(args: args);
    }
}
