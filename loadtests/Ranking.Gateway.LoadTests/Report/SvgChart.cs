using System.Globalization;
using System.Security;
using System.Text;
using Ranking.Gateway.LoadTests.Measurement;

namespace Ranking.Gateway.LoadTests.Report;

/// <summary>
/// One SVG a person can read at a glance: throughput per phase, latency per phase (p50 → p99 → max on a log
/// scale), a scenario's own bar charts (compare-modes: costs and staleness by mode), and for timed scenarios the
/// answers second by second, stacked by cache status, with p99 and events.
/// </summary>
internal static class SvgChart
{
    private const int Width = 960;
    private const int Left = 170;
    private const int Right = 40;
    private const int RowHeight = 22;
    private const int PlotWidth = Width - Left - Right;

    private static readonly (CacheAnswer Answer, string Label, string Color)[] Colors =
    [
        (CacheAnswer.Fresh, "FRESH", "#2e7d32"),
        (CacheAnswer.Stale, "STALE", "#f9a825"),
        (CacheAnswer.Miss, "MISS", "#1565c0"),
        (CacheAnswer.Bypass, "BYPASS", "#ef6c00"),
        (CacheAnswer.None, "no cache header", "#9e9e9e"),
    ];

    private const string FailureColor = "#c62828";

    public static string Render(RunReport report)
    {
        var phases = report.AllPhases.ToArray();
        var svg = new StringBuilder();
        var y = 0;
        Text(svg, 10, y += 24, $"{report.Title}", size: 16, bold: true);
        y += 16;
        y = Bars(svg, new BarSet("Throughput (requests per second)", [.. phases.Select(p => new Bar(p.Name, p.RequestsPerSecond, PhaseTable.N(p.RequestsPerSecond)))]), y);
        y = Latency(svg, phases, y + 24);
        foreach (var set in report.Bars)
        {
            y = Bars(svg, set, y + 24);
        }

        if (report.Timeline is { } timeline)
        {
            y = Timeline(svg, timeline.Phase, timeline.Markers, y + 24);
        }

        return $"""
            <svg xmlns="http://www.w3.org/2000/svg" width="{Width}" height="{y + 20}" viewBox="0 0 {Width} {y + 20}" font-family="sans-serif" font-size="12">
            <rect width="100%" height="100%" fill="white"/>
            {svg}</svg>
            """;
    }

    private static int Bars(StringBuilder svg, BarSet set, int y)
    {
        Text(svg, 10, y += 16, set.Title + (set.Log ? " (log scale)" : ""), size: 13, bold: true);
        y += 8;
        var values = set.Bars.Select(b => b.Value).Where(v => double.IsFinite(v) && v > 0).DefaultIfEmpty(1).ToArray();
        var (lo, hi) = (Math.Floor(Math.Log10(values.Min())), Math.Ceiling(Math.Log10(values.Max())));
        hi = Math.Max(hi, lo + 1);
        var max = values.Max();
        double Width(double value) => !double.IsFinite(value) || value <= 0 ? 0
            : set.Log ? Math.Max(1, (Math.Log10(value) - lo + 0.05) / (hi - lo + 0.05) * (PlotWidth - 90))
            : value / max * (PlotWidth - 90);

        foreach (var bar in set.Bars)
        {
            var width = Width(bar.Value);
            Text(svg, Left - 8, y + 15, bar.Label, anchor: "end");
            svg.AppendLine(CultureInfo.InvariantCulture, $"""<rect x="{Left}" y="{y + 4}" width="{width:F1}" height="{RowHeight - 8}" fill="#5c6bc0"/>""");
            Text(svg, Left + width + 6, y + 15, bar.Text);
            y += RowHeight;
        }

        return y;
    }

    private static int Latency(StringBuilder svg, PhaseResult[] phases, int y)
    {
        Text(svg, 10, y += 16, "Latency (ms, log scale): ● p50   | p95   ◆ p99   × max", size: 13, bold: true);
        y += 8;
        var top = y;
        var maxMs = Math.Max(10, phases.Where(p => p.Latency.Count > 0).Select(p => p.Latency.Max).DefaultIfEmpty(10).Max());
        var minMs = Math.Min(0.1, phases.Where(p => p.Latency.Count > 0).Select(p => p.Latency.P50).DefaultIfEmpty(0.1).Min());
        var (lo, hi) = (Math.Floor(Math.Log10(minMs)), Math.Ceiling(Math.Log10(maxMs)));
        double X(double ms) => Left + (Math.Log10(Math.Max(ms, Math.Pow(10, lo))) - lo) / (hi - lo) * PlotWidth;

        foreach (var phase in phases)
        {
            Text(svg, Left - 8, y + 15, phase.Name, anchor: "end");
            var l = phase.Latency;
            if (l.Count > 0)
            {
                var mid = y + RowHeight / 2;
                svg.AppendLine(CultureInfo.InvariantCulture, $"""<line x1="{X(l.P50):F1}" y1="{mid}" x2="{X(l.Max):F1}" y2="{mid}" stroke="#9fa8da" stroke-width="2"/>""");
                svg.AppendLine(CultureInfo.InvariantCulture, $"""<circle cx="{X(l.P50):F1}" cy="{mid}" r="4" fill="#3949ab"/>""");
                svg.AppendLine(CultureInfo.InvariantCulture, $"""<line x1="{X(l.P95):F1}" y1="{mid - 5}" x2="{X(l.P95):F1}" y2="{mid + 5}" stroke="#3949ab" stroke-width="2"/>""");
                svg.AppendLine(CultureInfo.InvariantCulture, $"""<path d="M{X(l.P99):F1},{mid - 6} l6,6 l-6,6 l-6,-6 z" fill="#c62828"/>""");
                svg.AppendLine(CultureInfo.InvariantCulture, $"""<text x="{X(l.Max):F1}" y="{mid + 4}" text-anchor="middle" fill="#555">×</text>""");
                var label = $"p99 {PhaseTable.Ms(l.P99)} ms";
                if (X(l.Max) + 110 < Width)
                {
                    Text(svg, X(l.Max) + 10, mid + 4, label, color: "#555");
                }
                else
                {
                    Text(svg, X(l.P50) - 10, mid + 4, label, anchor: "end", color: "#555");
                }
            }

            y += RowHeight;
        }

        for (var e = lo; e <= hi; e++)
        {
            var x = X(Math.Pow(10, e));
            svg.AppendLine(CultureInfo.InvariantCulture, $"""<line x1="{x:F1}" y1="{top}" x2="{x:F1}" y2="{y}" stroke="#e0e0e0"/>""");
            Text(svg, x, y + 14, Math.Pow(10, e).ToString("0.###", CultureInfo.InvariantCulture), anchor: "middle", color: "#555");
        }

        return y + 16;
    }

    private static int Timeline(StringBuilder svg, PhaseResult phase, IReadOnlyList<Marker> markers, int y)
    {
        Text(svg, 10, y += 16, $"{phase.Name}: answers per second by X-Cache-Status, and p99 (black line, right axis, log ms)", size: 13, bold: true);
        y += 12;
        var seconds = phase.PerSecond();
        const int height = 220;
        var top = y;
        var bottom = y + height;
        var maxCount = Math.Max(1, seconds.Max(s => s.Length));
        var barWidth = (double)PlotWidth / seconds.Count;

        for (var i = 0; i < seconds.Count; i++)
        {
            var stackTop = (double)bottom;
            var x = Left + i * barWidth;
            var segments = Colors.Select(c => (Count: seconds[i].Count(s => s.Answer == c.Answer && s.IsSuccess), c.Color))
                .Append((Count: seconds[i].Count(s => !s.IsSuccess), Color: FailureColor));
            foreach (var (count, color) in segments)
            {
                var h = (double)count / maxCount * height;
                stackTop -= h;
                if (count > 0)
                {
                    svg.AppendLine(CultureInfo.InvariantCulture, $"""<rect x="{x:F1}" y="{stackTop:F1}" width="{Math.Max(1, barWidth - 1):F1}" height="{h:F1}" fill="{color}"/>""");
                }
            }
        }

        // p99 per second on a log axis, 0.1 ms .. the worst second.
        var p99s = seconds.Select(s => LatencySummary.Of(s).P99).ToArray();
        var hi = Math.Ceiling(Math.Log10(Math.Max(10, p99s.Where(v => !double.IsNaN(v)).DefaultIfEmpty(10).Max())));
        const double lo = -1;
        double Y(double ms) => bottom - (Math.Log10(Math.Max(ms, 0.1)) - lo) / (hi - lo) * height;
        var points = p99s.Select((v, i) => double.IsNaN(v) ? null : $"{Left + (i + 0.5) * barWidth:F1},{Y(v):F1}").OfType<string>();
        svg.AppendLine(CultureInfo.InvariantCulture, $"""<polyline points="{string.Join(' ', points)}" fill="none" stroke="black" stroke-width="1.5"/>""");
        for (var e = lo; e <= hi; e++)
        {
            Text(svg, Left + PlotWidth + 4, Y(Math.Pow(10, e)) + 4, Math.Pow(10, e).ToString("0.#", CultureInfo.InvariantCulture), color: "#555", size: 10);
        }

        svg.AppendLine(CultureInfo.InvariantCulture, $"""<line x1="{Left}" y1="{bottom}" x2="{Left + PlotWidth}" y2="{bottom}" stroke="#555"/>""");
        Text(svg, Left - 8, top + 10, PhaseTable.N(maxCount) + " req", anchor: "end", color: "#555");
        Text(svg, Left - 8, bottom, "0", anchor: "end", color: "#555");
        for (var s = 0; s <= seconds.Count; s += seconds.Count > 40 ? 10 : 5)
        {
            Text(svg, Left + s * barWidth, bottom + 14, $"{s}s", anchor: "middle", color: "#555");
        }

        foreach (var marker in markers)
        {
            var x = Left + marker.At.TotalSeconds * barWidth;
            svg.AppendLine(CultureInfo.InvariantCulture, $"""<line x1="{x:F1}" y1="{top - 4}" x2="{x:F1}" y2="{bottom}" stroke="black" stroke-dasharray="4,3"/>""");
            Text(svg, x + 3, top + 4, marker.Label, size: 11);
        }

        y = bottom + 34;
        var legendX = (double)Left;
        foreach (var (label, color) in Colors.Select(c => (c.Label, c.Color)).Append(("non-2xx / error", FailureColor)))
        {
            svg.AppendLine(CultureInfo.InvariantCulture, $"""<rect x="{legendX:F1}" y="{y - 10}" width="12" height="12" fill="{color}"/>""");
            Text(svg, legendX + 16, y, label);
            legendX += 40 + label.Length * 7;
        }

        return y + 6;
    }

    private static void Text(StringBuilder svg, double x, double y, string text, string anchor = "start", int size = 12, bool bold = false, string color = "#222") =>
        svg.AppendLine(CultureInfo.InvariantCulture,
            $"""<text x="{x:F1}" y="{y:F1}" text-anchor="{anchor}" font-size="{size}"{(bold ? " font-weight=\"bold\"" : "")} fill="{color}">{SecurityElement.Escape(text)}</text>""");
}
