namespace Ranking.Gateway.LoadTests.Load;

/// <summary>
/// Draws group numbers 1..n with P(k) proportional to 1/k^s, by binary search in the cumulative distribution.
/// k6/lib.js has the same sampler, so both tools put the same skew on the gateway.
/// </summary>
internal sealed class ZipfSampler
{
    private readonly double[] _cumulative;

    public ZipfSampler(int n, double s)
    {
        _cumulative = new double[n];
        var sum = 0.0;
        for (var k = 1; k <= n; k++)
        {
            sum += 1.0 / Math.Pow(k, s);
            _cumulative[k - 1] = sum;
        }

        for (var i = 0; i < n; i++)
        {
            _cumulative[i] /= sum;
        }
    }

    /// <param name="u">A uniform number in [0, 1).</param>
    public int Next(double u)
    {
        int lo = 0, hi = _cumulative.Length - 1;
        while (lo < hi)
        {
            var mid = (lo + hi) / 2;
            if (_cumulative[mid] < u)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        return lo + 1;
    }
}
