using System.Runtime.InteropServices;
using System.Text;
using Ranking.Gateway.LoadTests.Hosting;

namespace Ranking.Gateway.LoadTests.Report;

/// <summary>Writes <c>&lt;out&gt;/&lt;scenario&gt;-&lt;run&gt;.md</c> and the chart beside it.</summary>
internal static class MarkdownReport
{
    public static async Task<string> WriteAsync(RunReport report)
    {
        Directory.CreateDirectory(report.OutDirectory);
        var name = $"{report.Scenario}-{report.RunId}";
        var markdown = Path.Combine(report.OutDirectory, name + ".md");
        await File.WriteAllTextAsync(Path.Combine(report.OutDirectory, name + ".svg"), SvgChart.Render(report));
        await File.WriteAllTextAsync(markdown, Render(report, name + ".svg"));
        return markdown;
    }

    public static string Render(RunReport report, string chart)
    {
        var md = new StringBuilder();
        md.AppendLine($"# {report.Title}");
        md.AppendLine();
        md.AppendLine($"Run `{report.RunId}`, {report.Started:yyyy-MM-dd HH:mm:ss zzz}, on {Machine()}.");
        md.AppendLine();
        md.AppendLine("```sh");
        md.AppendLine($"dotnet run --project loadtests/Ranking.Gateway.LoadTests -c Release -- {string.Join(' ', report.CommandLine.Select(Quote))}");
        md.AppendLine("```");
        md.AppendLine();
        var failed = report.Checks.Where(c => !c.Passed).ToArray();
        md.AppendLine($"**{(report.Passed ? "PASSED" : "FAILED")}**: {report.Checks.Count(c => c.Passed)} of {report.Checks.Count} checks hold"
            + (failed.Length == 0 ? "." : $"; not met: {string.Join("; ", failed.Select(c => $"{c.Name} ({ConsoleReport.Verdict(c)})"))}."));
        md.AppendLine();
        md.AppendLine($"![chart]({chart})");
        md.AppendLine();
        md.AppendLine("## Results");
        md.AppendLine();
        Table(md, PhaseTable.Header, PhaseTable.Rows(report.AllPhases));
        md.AppendLine();
        foreach (var phase in report.AllPhases)
        {
            md.AppendLine($"- **{phase.Name}**: {phase.Description}.");
        }

        if (report.Baselines is { } b)
        {
            md.AppendLine();
            md.AppendLine($"The FRESH-hit path ran at **{b.HitToCeiling:0.00}×** the in-memory Kestrel ceiling and **{b.HitToOrigin:0.0}×** the uncached origin path (same closed loop, same run).");
        }

        foreach (var table in report.Tables)
        {
            md.AppendLine();
            md.AppendLine($"### {table.Title}");
            md.AppendLine();
            Table(md, table.Header, table.Rows);
            if (table.Notes.Count > 0)
            {
                md.AppendLine();
                foreach (var note in table.Notes)
                {
                    md.AppendLine($"- {note}");
                }
            }
        }

        md.AppendLine();
        md.AppendLine("### Latency by cache answer");
        md.AppendLine();
        Table(md, PhaseTable.LatencyHeader, PhaseTable.LatencyRows(report.Phases));
        md.AppendLine();
        md.AppendLine("## Checks");
        md.AppendLine();
        Table(md, ["", "check", "target", "actual"], report.Checks.Select(c => new[] { ConsoleReport.Verdict(c), c.Name, c.Target, c.Actual }), numeric: false);
        md.AppendLine();
        md.AppendLine("Origin queries are pg_stat_statements calls of the Top-N query in the gateways' database, cross-checked against the sum of the instances' `gateway_origin_queries_total`.");
        if (report.Notes.Count > 0)
        {
            md.AppendLine();
            md.AppendLine("## Notes");
            md.AppendLine();
            foreach (var note in report.Notes)
            {
                md.AppendLine($"- {note}");
            }
        }

        md.AppendLine();
        md.AppendLine("## Setup");
        md.AppendLine();
        foreach (var line in report.Setup)
        {
            md.AppendLine($"- {line}");
        }

        return md.ToString();
    }

    public static string Machine()
    {
        var cpu = File.Exists("/proc/cpuinfo")
            ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim()
            : null;
        var pinned = CpuPinning.IsPinned ? $"; --pin: servers on CPU {CpuPinning.ServerCpu}, load generator on CPU {CpuPinning.GeneratorCpu}" : "";
        return $"{CpuPinning.MachineCpus} cores{(cpu is null ? "" : $" ({cpu})")}, {RuntimeInformation.OSDescription}, {RuntimeInformation.FrameworkDescription}{pinned}";
    }

    private static void Table(StringBuilder md, string[] header, IEnumerable<string[]> rows, bool numeric = true)
    {
        md.AppendLine($"| {string.Join(" | ", header)} |");
        md.AppendLine($"|{string.Join("|", header.Select((_, i) => i == 0 || !numeric ? "---" : "--:"))}|");
        foreach (var row in rows)
        {
            md.AppendLine($"| {string.Join(" | ", row.Select(c => c.Replace("|", "\\|", StringComparison.Ordinal)))} |");
        }
    }

    private static string Quote(string arg) => arg.Any(c => char.IsWhiteSpace(c) || c is '"' or '\'' or ';' or '&') ? $"'{arg.Replace("'", "'\\''", StringComparison.Ordinal)}'" : arg;
}
