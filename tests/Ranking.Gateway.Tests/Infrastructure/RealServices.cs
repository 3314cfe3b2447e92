namespace Ranking.Gateway.Tests.Infrastructure;

/// <summary>Where the real Redis and PostgreSQL started by scripts/test.sh listen.</summary>
internal static class RealServices
{
    public static string Redis =>
        Environment.GetEnvironmentVariable("ConnectionStrings__Redis") ?? "127.0.0.1:6479";

    public static string Postgres =>
        Environment.GetEnvironmentVariable("ConnectionStrings__Postgres")
        ?? "Host=127.0.0.1;Port=5479;Database=ranking;Username=ranking;Password=ranking";

    /// <summary>A key prefix of its own, so test classes sharing one Redis never see each other's keys.</summary>
    public static string NewKeyPrefix() => $"test:{Guid.NewGuid():N}:";
}
