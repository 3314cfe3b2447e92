using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Ranking.Gateway.Caching;
using Ranking.Gateway.Tests.Infrastructure;

namespace Ranking.Gateway.Tests.Caching;

/// <summary>
/// A load or refresh whose start throws (an origin's capture of the request failing, say) fails that one read and
/// frees its key: the next read of the key loads or refreshes again instead of waiting on it forever.
/// </summary>
public sealed class ThrownLoadTests(TestDatabase database) : OneGatewayTest(database)
{
    private static readonly DateTimeOffset Generated = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly CacheEntry Entry = new(
        200, "application/json", Encoding.UTF8.GetBytes("{}"), "\"e\"", [],
        Generated, Generated.AddSeconds(60), Generated.AddSeconds(660), Generated.AddSeconds(3660));

    private static readonly CachePolicy NoL1 = new() { L1 = TimeSpan.Zero };

    [Fact]
    public async Task A_load_that_throws_before_its_first_await_frees_the_key_for_the_next_load()
    {
        var l1 = Host.Services.GetRequiredService<LocalCache>();
        var key = $"thrown:{Guid.NewGuid():N}";

        await Assert.ThrowsAsync<InvalidOperationException>(() =>
            l1.LoadAsync<int>(key, 0, _ => throw new InvalidOperationException("capture failed"), NoL1, CancellationToken.None));
        var next = await l1.LoadAsync(key, 0, _ => Task.FromResult(new L1Item(Entry, LoadSource.Origin)), NoL1, CancellationToken.None)
            .WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Same(Entry, next.Entry);
    }

    [Fact]
    public void A_refresh_whose_capture_throws_frees_the_key_for_the_next_refresh()
    {
        var revalidator = Host.Services.GetRequiredService<Revalidator>();
        var request = new CacheRequest($"thrown:{Guid.NewGuid():N}", "ranking", new CachePolicy(), new ThrowingOrigin(), "target");

        Assert.Throws<InvalidOperationException>(() => revalidator.Start(request, Entry));
        Assert.Throws<InvalidOperationException>(() => revalidator.Start(request, Entry));
        Assert.Equal(0, revalidator.ActiveRevalidations);
    }

    private sealed class ThrowingOrigin : IOrigin
    {
        public object Capture(in CacheRequest read, FetchReason reason) => throw new InvalidOperationException("capture failed");

        public Task<OriginResult> FetchAsync(OriginRequest request, CancellationToken cancellationToken) => throw new NotSupportedException();
    }
}
