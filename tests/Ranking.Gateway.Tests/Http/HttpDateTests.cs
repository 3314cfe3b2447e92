using Ranking.Gateway.Http;

namespace Ranking.Gateway.Tests.Http;

public sealed class HttpDateTests
{
    [Theory]
    [InlineData("Sun, 06 Nov 1994 08:49:37 GMT")]
    [InlineData("Sunday, 06-Nov-94 08:49:37 GMT")]
    [InlineData("Sun Nov  6 08:49:37 1994")]
    public void The_three_forms_a_recipient_accepts_are_read(string value)
    {
        Assert.True(HttpDate.TryParse(value, out var date));
        Assert.Equal(new DateTimeOffset(1994, 11, 6, 8, 49, 37, TimeSpan.Zero), date);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("Thu, 18 Aug 2050 02:01:18 UTC")]
    [InlineData("Thu, 18 Aug 2050 02:01:18 AEST")]
    [InlineData("Thu, 18 Aug 50 02:01:18 GMT")]
    [InlineData("Thu 18 Aug 2050 02:01:18 GMT")]
    [InlineData("Thu, 18  Aug  2050 02:01:18 GMT")]
    [InlineData("Thu, 18-Aug-2050 02:01:18 GMT")]
    [InlineData("Thu, 18 Aug 2050 02.01.18 GMT")]
    [InlineData("Thu, 18 Aug 2050 2:01:18 GMT")]
    [InlineData("Thu, 18 Aug 2050 02:01:18 GMT,Thu, 18 Aug 2050 02:01:19 GMT")]
    public void Anything_else_is_invalid(string value) => Assert.False(HttpDate.TryParse(value, out _));
}
