namespace Ranking.Gateway.LoadTests.Report;

/// <summary>One horizontal bar chart of the SVG: a value per label, with the text printed beside each bar.</summary>
/// <param name="Log">A log scale, for values that differ by orders of magnitude (cost growth).</param>
internal sealed record BarSet(string Title, IReadOnlyList<Bar> Bars, bool Log = false);

/// <param name="Value">The bar's length; NaN draws no bar (the text still says why).</param>
internal sealed record Bar(string Label, double Value, string Text);
