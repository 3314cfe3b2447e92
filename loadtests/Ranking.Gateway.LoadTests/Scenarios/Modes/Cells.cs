using System.Globalization;

namespace Ranking.Gateway.LoadTests.Scenarios.Modes;

/// <summary>How compare-modes' tables print numbers: "n/a" for what could not be measured, never a made-up 0.</summary>
internal static class Cells
{
    public const string NotAvailable = "n/a";

    public static string N(double? value) => value is { } v && double.IsFinite(v) ? v.ToString(Math.Abs(v) < 10 && v != Math.Floor(v) ? "N1" : "N0", CultureInfo.InvariantCulture) : NotAvailable;

    public static string Percent(double share) => double.IsFinite(share) ? (share * 100).ToString(share is > 0 and < 0.001 ? "0.###" : "0.#", CultureInfo.InvariantCulture) + "%" : NotAvailable;

    public static string Seconds(double seconds) => double.IsFinite(seconds) ? seconds.ToString(seconds < 10 ? "0.00" : "N1", CultureInfo.InvariantCulture) + " s" : "–";

    public static string Ms(double ms) => double.IsFinite(ms) ? ms.ToString(ms < 100 ? "0.00" : "N0", CultureInfo.InvariantCulture) : "–";
}
