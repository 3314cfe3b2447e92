using Ranking.Gateway.Caching.Redis;

namespace Ranking.Gateway.Tests.Caching;

public sealed class CircuitBreakerTests
{
    [Fact]
    public void Two_failures_racing_open_the_breaker_once()
    {
        // A clock that pauses the first failing command after its first look at the time, until the second command
        // has tripped the breaker: the interleaving in which both could think they opened it.
        var firstPaused = new ManualResetEventSlim();
        var secondDone = new ManualResetEventSlim();
        var looks = new ThreadLocal<int>();
        Thread? first = null;
        long Clock()
        {
            if (Thread.CurrentThread == first && ++looks.Value == 2)
            {
                firstPaused.Set();
                secondDone.Wait();
            }

            return 1_000;
        }

        var breaker = new RedisCircuitBreaker(TimeSpan.FromMinutes(1), Clock);
        var opened = 0;
        first = new Thread(() =>
        {
            if (breaker.Trip())
            {
                Interlocked.Increment(ref opened);
            }

            firstPaused.Set();
        });
        first.Start();
        firstPaused.Wait();
        if (breaker.Trip())
        {
            Interlocked.Increment(ref opened);
        }

        secondDone.Set();
        first.Join();

        Assert.Equal(1, opened);
        Assert.True(breaker.IsOpen);
    }

    [Fact]
    public void A_trip_after_the_break_ended_opens_it_again()
    {
        var now = 0L;
        var breaker = new RedisCircuitBreaker(TimeSpan.FromSeconds(5), () => now);

        Assert.True(breaker.Trip());
        Assert.False(breaker.Trip());
        now = 5_000;
        Assert.False(breaker.IsOpen);
        Assert.True(breaker.Trip());
    }
}
