namespace Ranking.Gateway.LoadTests.Load;

/// <summary>
/// A uniform number in [0, 1) for request number n of a seeded run (mulberry32 of seed and n). It depends on
/// nothing else, so k6/lib.js, which has the same function, asks for the same groups in the same order.
/// </summary>
internal static class RequestRandom
{
    public static double Uniform(int seed, long n)
    {
        unchecked
        {
            var a = ((uint)seed * 0x9E3779B1u) + (uint)n + 0x6D2B79F5u;
            var t = (a ^ (a >> 15)) * (1u | a);
            t = (t + ((t ^ (t >> 7)) * (61u | t))) ^ t;
            return (t ^ (t >> 14)) / 4294967296.0;
        }
    }
}
