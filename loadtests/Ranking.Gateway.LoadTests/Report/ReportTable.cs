namespace Ranking.Gateway.LoadTests.Report;

/// <summary>A table a scenario adds to its report beyond the phase tables (printed on the console and in the Markdown).</summary>
/// <param name="Notes">Lines printed under the table.</param>
internal sealed record ReportTable(string Title, string[] Header, IReadOnlyList<string[]> Rows, IReadOnlyList<string> Notes);
