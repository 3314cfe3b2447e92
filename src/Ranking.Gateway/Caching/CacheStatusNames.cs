namespace Ranking.Gateway.Caching;

/// <summary>The names a <see cref="CacheStatus"/> goes by in <c>X-Cache-Status</c> and in metrics, from a table.</summary>
internal static class CacheStatusNames
{
    private static readonly string[] Names = ["FRESH", "STALE", "MISS", "BYPASS"];

    public static IReadOnlyList<string> All => Names;

    public static string Of(CacheStatus status) => Names[(int)status];
}
