using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Ranking.Gateway.Caching;
using Ranking.Gateway.Caching.Redis;
using Ranking.Gateway.Tests.Infrastructure;

namespace Ranking.Gateway.Tests.Caching;

/// <summary>
/// A load that read an entry before another instance changed it must not keep that copy once the change is announced:
/// the announcement's drop may come while the load is still under way, when there is nothing yet to drop. The load is
/// held open here (its read "done", its result not yet kept) while a real announcement goes through Redis.
/// </summary>
public sealed class L1AnnouncementTests(TestDatabase database) : OneGatewayTest(database)
{
    private static readonly CachePolicy Policy = new() { L1 = TimeSpan.FromSeconds(2), L1Max = TimeSpan.FromMinutes(5) };

    [Fact]
    public async Task A_load_under_way_when_another_instance_announces_its_key_changed_does_not_keep_what_it_read()
    {
        var (l1, key, kept) = await LoadAcrossAnAnnouncementAsync(instance: "another-instance");

        Assert.Equal(200, kept.Entry.StatusCode);
        Assert.True(l1.Find(key, Time.GetUtcNow()) is null, "the copy read before the change was kept after its announcement");
    }

    [Fact]
    public async Task A_load_under_way_when_this_instance_announces_its_own_change_keeps_its_copy()
    {
        // A load may store its own key (a miss that fetched): its own announcement must not cost it the copy.
        var redis = Host.Services.GetRequiredService<RedisAccess>();
        var (l1, key, _) = await LoadAcrossAnAnnouncementAsync(instance: redis.InstanceId);

        Assert.NotNull(l1.Find(key, Time.GetUtcNow()));
    }

    // Starts a load that waits on a gate, announces the key changed as `instance`, waits until this gateway heard it,
    // then lets the load finish with the entry it "read" before.
    private async Task<(LocalCache L1, string Key, L1Item Kept)> LoadAcrossAnAnnouncementAsync(string instance)
    {
        var l1 = Host.Services.GetRequiredService<LocalCache>();
        var redis = Host.Services.GetRequiredService<RedisAccess>();
        var changes = Host.Services.GetRequiredService<EntryChanges>();
        var key = $"announced:{Guid.NewGuid():N}";

        var heard = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Action<string> onChanged = changed =>
        {
            if (changed == key)
            {
                heard.TrySetResult();
            }
        };
        // Handlers run in the order they were added: this one after the L1's, so "heard" means the L1 has acted on it.
        var elsewhere = instance != redis.InstanceId;
        if (elsewhere)
        {
            changes.ChangedElsewhere += onChanged;
        }
        else
        {
            changes.Changed += onChanged;
        }

        try
        {
            var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var load = l1.LoadAsync(key, gate, async held =>
            {
                var read = new L1Item(Fresh(), LoadSource.Cache);
                await held.Task;
                return read;
            }, Policy, CancellationToken.None);

            await redis.Subscriber.PublishAsync(redis.Changes, $"{instance}\n{key}");
            await heard.Task.WaitAsync(TimeSpan.FromSeconds(10));
            gate.SetResult();
            return (l1, key, await load.WaitAsync(TimeSpan.FromSeconds(10)));
        }
        finally
        {
            changes.ChangedElsewhere -= onChanged;
            changes.Changed -= onChanged;
        }
    }

    private CacheEntry Fresh()
    {
        var now = Time.GetUtcNow();
        return new CacheEntry(200, "application/json", Encoding.UTF8.GetBytes("{}"), "\"e\"", [], now, now.AddMinutes(1), now.AddMinutes(11), now.AddHours(1));
    }
}
