using System.Globalization;

namespace Ranking.Gateway.LoadTests.Measurement;

/// <summary>Just enough of the Prometheus text format to sum a counter's series.</summary>
internal static class PrometheusText
{
    /// <summary>Sums the samples of <paramref name="metric"/> whose labels include every pair in <paramref name="labels"/>.</summary>
    public static double Sum(string text, string metric, params (string Name, string Value)[] labels)
    {
        var sum = 0.0;
        foreach (var (series, value) in Series(text, metric))
        {
            if (labels.All(l => series.Contains($"{l.Name}=\"{l.Value}\"", StringComparison.Ordinal)))
            {
                sum += value;
            }
        }

        return sum;
    }

    private static IEnumerable<(string Labels, double Value)> Series(string text, string metric)
    {
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Trim();
            if (!line.StartsWith(metric, StringComparison.Ordinal) || line.Length == metric.Length || line[metric.Length] is not ('{' or ' '))
            {
                continue;
            }

            var close = line.LastIndexOf('}');
            var labels = close < 0 ? "" : line[metric.Length..(close + 1)];
            var rest = line[(close < 0 ? metric.Length : close + 1)..].Trim().Split(' ');
            if (double.TryParse(rest[0], NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
            {
                yield return (labels, value);
            }
        }
    }
}
