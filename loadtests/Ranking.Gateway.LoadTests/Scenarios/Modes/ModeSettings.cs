using System.Globalization;

namespace Ranking.Gateway.LoadTests.Scenarios.Modes;

/// <summary>
/// The gateway configuration of a mode, with the policy scaled to the refresh period: the period stands for the
/// document's one minute, so everything appsettings.json expresses in minutes scales by period / 60 s
/// (Fresh 60 s → one period, jitter 10 s → a sixth, Stale 10 min → 10 periods, stale-if-error 1 h → 60).
/// </summary>
internal static class ModeSettings
{
    // appsettings.json's in-process copy; it must stay shorter than Fresh, so short periods shorten it.
    private static readonly TimeSpan DefaultL1 = TimeSpan.FromSeconds(2);

    public static IReadOnlyList<string> For(string mode, TimeSpan period) =>
    [
        $"Ranking:Refresh:Mode={mode}",
        $"Ranking:Refresh:Period={Time(period)}",
        $"Gateway:Policies:ranking:Fresh={Time(period)}",
        $"Gateway:Policies:ranking:FreshJitter={Time(period / 6)}",
        $"Gateway:Policies:ranking:Stale={Time(period * 10)}",
        $"Gateway:Policies:ranking:StaleIfError={Time(period * 60)}",
        $"Gateway:Policies:ranking:L1={Time(L1(period))}",
        // A fixed L1 lifetime, as in every run MODES.md records (before issue 22 a FRESH entry was not kept longer).
        $"Gateway:Policies:ranking:L1Max={Time(L1(period))}",
    ];

    /// <summary>The scaling, in words, for the report.</summary>
    public static string Describe(TimeSpan period) =>
        $"Refresh period {Seconds(period)} stands for the document's one minute: Fresh = {Seconds(period)}, FreshJitter = {Seconds(period / 6)}, "
        + $"Stale = {Seconds(period * 10)}, StaleIfError = {Seconds(period * 60)}, L1 = {Seconds(L1(period))} fixed (L1Max = L1; appsettings.json's 2 s, shorter than Fresh). "
        + $"\"Per period\" figures compare with the document's \"per minute\"; real per-minute figures are {60 / period.TotalSeconds:0.##}× the per-period ones.";

    private static TimeSpan L1(TimeSpan period) => period / 2 < DefaultL1 ? period / 2 : DefaultL1;

    private static string Time(TimeSpan span) => span.ToString("c", CultureInfo.InvariantCulture);

    private static string Seconds(TimeSpan span) => $"{span.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture)} s";
}
