using System.Globalization;

namespace Ranking.Gateway.LoadTests.Scenarios.Audit;

/// <summary>
/// The audit's schedule and the gateways' settings: a period of one second for every mode, windows scaled to it, and
/// the faults at fixed points of the run. <see cref="For"/> gives the full run or the short one (--smoke).
/// </summary>
/// <param name="Length">From the first write to the end of the reads.</param>
/// <param name="WritesUntil">When the writer stops; the reads go on, so every write has time to show everywhere.</param>
/// <param name="Faults">What happens when, in order.</param>
internal sealed record AuditPlan(TimeSpan Length, TimeSpan WritesUntil, IReadOnlyList<AuditFault> Faults)
{
    public const int Groups = 40;
    public const int Users = 20;

    public static readonly TimeSpan Period = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan Fresh = TimeSpan.FromSeconds(2);
    public static readonly TimeSpan StaleIfError = TimeSpan.FromSeconds(60);
    public static readonly TimeSpan WriteEvery = TimeSpan.FromMilliseconds(100);

    public static AuditPlan For(bool smoke) => smoke
        ? new AuditPlan(TimeSpan.FromSeconds(32), TimeSpan.FromSeconds(24),
        [
            new(AuditFaultKind.DatabaseCut, TimeSpan.FromSeconds(4), TimeSpan.FromSeconds(4)),
            new(AuditFaultKind.RedisFrozen, TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(2)),
            new(AuditFaultKind.InstanceKilled, TimeSpan.FromSeconds(14), TimeSpan.FromSeconds(1)),
            new(AuditFaultKind.RedisKilled, TimeSpan.FromSeconds(18), TimeSpan.FromSeconds(1)),
        ])
        : new AuditPlan(TimeSpan.FromSeconds(70), TimeSpan.FromSeconds(58),
        [
            new(AuditFaultKind.DatabaseCut, TimeSpan.FromSeconds(8), TimeSpan.FromSeconds(10)),
            new(AuditFaultKind.RedisFrozen, TimeSpan.FromSeconds(24), TimeSpan.FromSeconds(3)),
            new(AuditFaultKind.InstanceKilled, TimeSpan.FromSeconds(32), TimeSpan.FromSeconds(2)),
            new(AuditFaultKind.RedisKilled, TimeSpan.FromSeconds(40), TimeSpan.FromSeconds(2)),
            new(AuditFaultKind.InstanceKilled, TimeSpan.FromSeconds(48), TimeSpan.FromSeconds(2)),
        ]);

    /// <summary>
    /// How long after its commit a write may take to show at an instance when nothing goes wrong: Queue, the next pass
    /// and a batch (two periods, and one for slack); CompetingLocks, the next walk (two periods, and one); Lazy and
    /// Early, the entry's fresh window and its refresh (fresh, and two periods).
    /// </summary>
    public static TimeSpan Bound(string mode) => mode is "Queue" or "CompetingLocks" ? 3 * Period : Fresh + (2 * Period);

    /// <summary>The mode's gateway settings: everything in seconds of the one-second period.</summary>
    public static IReadOnlyList<string> Settings(string mode, string postgres) =>
    [
        $"ConnectionStrings:Postgres={postgres}",
        $"Ranking:Refresh:Mode={mode}",
        $"Ranking:Refresh:Period={Time(Period)}",
        $"Ranking:Refresh:LeaseDuration={Time(TimeSpan.FromSeconds(3))}",
        $"Ranking:Refresh:VisibilityTimeout={Time(TimeSpan.FromSeconds(3))}",
        $"Ranking:Refresh:RetryBackoff={Time(TimeSpan.FromMilliseconds(200))}",
        $"Gateway:Policies:ranking:Fresh={Time(Fresh)}",
        "Gateway:Policies:ranking:FreshJitter=00:00:00",
        $"Gateway:Policies:ranking:Stale={Time(TimeSpan.FromSeconds(10))}",
        $"Gateway:Policies:ranking:StaleIfError={Time(StaleIfError)}",
        $"Gateway:Policies:ranking:L1={Time(TimeSpan.FromMilliseconds(500))}",
        $"Gateway:Policies:ranking:OriginTimeout={Time(TimeSpan.FromSeconds(2))}",
        $"Gateway:Policies:ranking:LockExpiry={Time(TimeSpan.FromSeconds(3))}",
        $"Gateway:Policies:ranking:MissWait={Time(TimeSpan.FromSeconds(2))}",
        "Gateway:RedisTimeout=00:00:00.500",
        "Gateway:RedisBreakDuration=00:00:01",
    ];

    private static string Time(TimeSpan span) => span.ToString("c", CultureInfo.InvariantCulture);
}

internal enum AuditFaultKind
{
    /// <summary>The gateways' connections to PostgreSQL cut (a TCP relay between them); writers keep writing.</summary>
    DatabaseCut,

    /// <summary>Redis stopped with SIGSTOP, then continued.</summary>
    RedisFrozen,

    /// <summary>Redis killed (every key lost: entries, queue, watermark) and started again empty.</summary>
    RedisKilled,

    /// <summary>A gateway instance killed with SIGKILL (the producer's lease holder, in Queue mode, when it is one), and a new one started.</summary>
    InstanceKilled,
}

/// <param name="At">When, from the first write.</param>
/// <param name="For">How long: the outage, or the wait before a killed instance's replacement starts.</param>
internal sealed record AuditFault(AuditFaultKind Kind, TimeSpan At, TimeSpan For)
{
    public string Describe() => Kind switch
    {
        AuditFaultKind.DatabaseCut => $"PostgreSQL cut from the gateways {Seconds(At)}–{Seconds(At + For)}",
        AuditFaultKind.RedisFrozen => $"Redis frozen {Seconds(At)}–{Seconds(At + For)}",
        AuditFaultKind.RedisKilled => $"Redis killed at {Seconds(At)}, started empty {Seconds(For)} later",
        _ => $"an instance killed (SIGKILL) at {Seconds(At)}, a new one started {Seconds(For)} later",
    };

    private static string Seconds(TimeSpan span) => $"{span.TotalSeconds.ToString("0.#", CultureInfo.InvariantCulture)} s";
}
