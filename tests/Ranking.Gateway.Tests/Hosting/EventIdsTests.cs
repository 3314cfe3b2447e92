using System.Reflection;
using Ranking.Gateway.Hosting;

namespace Ranking.Gateway.Tests.Hosting;

public sealed class EventIdsTests
{
    [Fact]
    public void No_event_id_is_used_twice()
    {
        var ids = typeof(EventIds).GetFields(BindingFlags.Public | BindingFlags.Static).Select(f => (Name: f.Name, Id: (int)f.GetRawConstantValue()!)).ToArray();

        Assert.NotEmpty(ids);
        Assert.Empty(ids.GroupBy(i => i.Id).Where(g => g.Count() > 1).Select(g => $"{g.Key}: {string.Join(", ", g.Select(i => i.Name))}"));
    }

    [Fact]
    public void Every_log_message_of_the_gateway_takes_its_id_from_event_ids()
    {
        var logged = typeof(EventIds).Assembly.GetTypes()
            .SelectMany(t => t.GetMethods(BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
            .Select(m => m.GetCustomAttribute<Microsoft.Extensions.Logging.LoggerMessageAttribute>())
            .OfType<Microsoft.Extensions.Logging.LoggerMessageAttribute>()
            .Select(a => a.EventId)
            .ToArray();
        var named = typeof(EventIds).GetFields(BindingFlags.Public | BindingFlags.Static).Select(f => (int)f.GetRawConstantValue()!).ToHashSet();

        Assert.Equal(named.Count, logged.Length);
        Assert.Equal(logged.Length, logged.Distinct().Count());
        Assert.All(logged, id => Assert.Contains(id, named));
    }
}
