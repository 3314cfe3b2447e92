using System.Reflection;

namespace Ranking.Gateway.LoadTests.Hosting;

/// <summary>Where the repository and the gateway's build output are, found from the runner's own location.</summary>
internal static class RepoPaths
{
    public static string Root { get; } = FindRoot();

    /// <summary>The gateway dll built with the runner's own configuration (the runner's project builds it first).</summary>
    public static string GatewayDll
    {
        get
        {
            var configuration = typeof(RepoPaths).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Release";
            return Path.Combine(Root, "src", "Ranking.Gateway", "bin", configuration, "net10.0", "Ranking.Gateway.dll");
        }
    }

    public static string DefaultOut => Path.Combine(Root, "loadtests", "out");

    private static string FindRoot()
    {
        foreach (var start in new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory() })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "appsettings.json")) && Directory.Exists(Path.Combine(dir.FullName, "loadtests")))
                {
                    return dir.FullName;
                }
            }
        }

        throw new SetupException("cannot find the repository root (a folder with appsettings.json and loadtests/); run from inside the repository.");
    }
}
