using System.Globalization;
using System.Text.Json;

namespace Ranking.Gateway.LoadTests.Hosting;

/// <summary>
/// The garbage collector settings a started gateway runs with, as far as they can be read from outside the process:
/// the System.GC.* properties of its runtimeconfig.json and the GC variables (DOTNET_gc…, DOTNET_GC…, COMPlus_…) in
/// its environment. What the GC itself decided (GCSettings.IsServerGC, the heap count DATAS chose) is visible only
/// inside the process.
/// </summary>
internal static class GcSettings
{
    private static readonly string[] VariablePrefixes = ["DOTNET_GC", "COMPLUS_GC"];

    public static string Describe(string dll, int pid)
    {
        var properties = RuntimeConfigProperties(Path.ChangeExtension(dll, ".runtimeconfig.json"));
        var variables = EnvironmentVariables(pid);
        return $"runtimeconfig.json: {(properties.Count > 0 ? string.Join(", ", properties) : "no System.GC.* property")}; "
            + $"environment: {(variables.Count > 0 ? string.Join(", ", variables) : "no DOTNET_GC*/COMPlus_GC* variable")}. "
            + "What is not set takes .NET 10's defaults: concurrent (background) GC on, and with server GC, DATAS "
            + "(System.GC.DynamicAdaptationMode=1, heaps added and removed with the load) on.";
    }

    private static List<string> RuntimeConfigProperties(string path)
    {
        if (!File.Exists(path))
        {
            return [$"{Path.GetFileName(path)} not found"];
        }

        using var document = JsonDocument.Parse(File.ReadAllText(path));
        return document.RootElement.TryGetProperty("runtimeOptions", out var options) && options.TryGetProperty("configProperties", out var properties)
            ? [.. properties.EnumerateObject().Where(p => p.Name.StartsWith("System.GC.", StringComparison.Ordinal)).Select(p => $"{p.Name}={p.Value}")]
            : [];
    }

    private static List<string> EnvironmentVariables(int pid)
    {
        try
        {
            var environ = File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/environ");
            return [.. environ.Split('\0').Where(v => VariablePrefixes.Any(p => v.StartsWith(p, StringComparison.OrdinalIgnoreCase)))];
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return ["not readable"];
        }
    }
}
