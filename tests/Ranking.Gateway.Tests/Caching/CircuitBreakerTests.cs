using Ranking.Gateway.Caching.Redis;

namespace Ranking.Gateway.Tests.Caching;

public sealed class CircuitBreakerTests
{
    [Fact]
    public void Of_many_commands_failing_at_once_exactly_one_opens_the_breaker()
    {
        for (var round = 0; round < 200; round++)
        {
            var breaker = new RedisCircuitBreaker(TimeSpan.FromMinutes(1));
            using var start = new Barrier(8);
            var opened = 0;
            var threads = Enumerable.Range(0, 8).Select(_ => new Thread(() =>
            {
                start.SignalAndWait();
                if (breaker.Trip())
                {
                    Interlocked.Increment(ref opened);
                }
            })).ToArray();
            foreach (var thread in threads)
            {
                thread.Start();
            }

            foreach (var thread in threads)
            {
                thread.Join();
            }

            Assert.Equal(1, opened);
            Assert.True(breaker.IsOpen);
        }
    }

    [Fact]
    public void A_trip_after_the_break_ended_opens_it_again()
    {
        var breaker = new RedisCircuitBreaker(TimeSpan.Zero);

        Assert.True(breaker.Trip());
        Assert.True(breaker.Trip());
    }
}
