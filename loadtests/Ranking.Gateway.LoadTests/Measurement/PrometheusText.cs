using System.Globalization;

namespace Ranking.Gateway.LoadTests.Measurement;

/// <summary>Just enough of the Prometheus text format to sum a counter's series and read a gauge.</summary>
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

    /// <summary>Sums the samples of <paramref name="metric"/> by the value of <paramref name="label"/>; empty when the scrape has no such metric.</summary>
    public static Dictionary<string, double> SumBy(string text, string metric, string label)
    {
        var sums = new Dictionary<string, double>();
        foreach (var (series, value) in Series(text, metric))
        {
            var key = LabelValue(series, label) ?? "";
            sums[key] = sums.GetValueOrDefault(key) + value;
        }

        return sums;
    }

    /// <summary>The largest sample of <paramref name="metric"/> (a gauge over its series), or null when the scrape has none.</summary>
    public static double? Max(string text, string metric) =>
        Series(text, metric).Select(s => (double?)s.Value).Max();

    /// <summary>Whether the scrape has <paramref name="metric"/> at all (a counter appears once it has counted something).</summary>
    public static bool Has(string text, string metric) => Series(text, metric).Any();

    private static string? LabelValue(string labels, string label)
    {
        var start = labels.IndexOf($"{label}=\"", StringComparison.Ordinal);
        if (start < 0)
        {
            return null;
        }

        start += label.Length + 2;
        var end = labels.IndexOf('"', start);
        return end < 0 ? null : labels[start..end];
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
