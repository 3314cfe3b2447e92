namespace Ranking.Gateway.LoadTests.Report;

/// <summary>Prints a run as fixed-width tables on stdout.</summary>
internal static class ConsoleReport
{
    public static void Print(RunReport report)
    {
        Console.WriteLine();
        Console.WriteLine($"== {report.Title} (run {report.RunId}) ==");
        Console.WriteLine();
        Write(PhaseTable.Header, [.. PhaseTable.Rows(report.AllPhases)]);
        Console.WriteLine();
        Write(PhaseTable.LatencyHeader, [.. PhaseTable.LatencyRows(report.Phases)]);
        foreach (var table in report.Tables)
        {
            Console.WriteLine();
            Console.WriteLine(table.Title);
            Write(table.Header, table.Rows);
            foreach (var note in table.Notes)
            {
                Console.WriteLine($"  {note}");
            }
        }

        if (report.Baselines is { } b)
        {
            Console.WriteLine();
            Console.WriteLine($"FRESH hit = {b.HitToCeiling:0.00}× the in-memory ceiling, {b.HitToOrigin:0.0}× the uncached origin path (req/s, same closed loop).");
        }

        Console.WriteLine();
        Write(["", "check", "target", "actual"], [.. report.Checks.Select(c => new[] { Verdict(c), c.Name, c.Target, c.Actual })], numeric: false);
        foreach (var note in report.Notes)
        {
            Console.WriteLine($"- {note}");
        }

        Console.WriteLine();
        Console.WriteLine(report.Passed ? "PASSED" : $"FAILED: {string.Join("; ", report.Checks.Where(c => c.Hard && !c.Passed).Select(c => c.Name))}");
    }

    public static string Verdict(Check check) => (check.Passed, check.Hard) switch
    {
        (true, _) => "ok",
        (false, true) => "FAIL",
        (false, false) => "missed",
    };

    private static void Write(string[] header, IReadOnlyList<string[]> rows, bool numeric = true)
    {
        if (rows.Count == 0)
        {
            return;
        }

        var widths = header.Select((h, i) => rows.Select(r => r[i].Length).Append(h.Length).Max()).ToArray();
        string Line(string[] cells) => string.Join("  ", cells.Select((c, i) => i == 0 || !numeric ? c.PadRight(widths[i]) : c.PadLeft(widths[i]))).TrimEnd();
        Console.WriteLine(Line(header));
        foreach (var row in rows)
        {
            Console.WriteLine(Line(row));
        }
    }
}
