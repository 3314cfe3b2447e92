using Ranking.Gateway.Http;

namespace Ranking.Gateway.Tests.Http;

/// <summary>Cache-Control and targeted fields read as RFC 9111 and RFC 9213 say, and fail closed where they cannot be read.</summary>
public sealed class CacheDirectivesTests
{
    [Theory]
    [InlineData("private, max-age=\"60\"")]
    [InlineData("private, max-age=abc")]
    [InlineData("private=\"Set-Cookie\", max-age=60")]
    [InlineData("max-age=60, Private")]
    public void Private_is_honoured_whatever_else_the_value_holds(string value)
    {
        var directives = CacheDirectives.Parse(value);

        Assert.True(directives.Private || directives.Invalid);
    }

    [Theory]
    [InlineData("max-age=abc")]
    [InlineData("max-age=-1")]
    [InlineData("max-age='3600'")]
    [InlineData("max-age=")]
    [InlineData("max-age=60, max-age=0")]
    [InlineData("max-age=\"60")]
    [InlineData("no-store max-age=60")]
    [InlineData("max-age=60;")]
    public void A_value_that_cannot_be_read_is_invalid(string value) =>
        Assert.True(CacheDirectives.Parse(value).Invalid);

    [Theory]
    [InlineData("max-age=003600", 3600)]
    [InlineData("extension=\"max-age=3600\", max-age=1", 1)]
    [InlineData("max-age=1, extension=\"max-age=3600\"", 1)]
    [InlineData(" , max-age=5 ,", 5)]
    [InlineData("max-age=\"60\"", 60)]
    [InlineData("MAX-AGE=7, max-age=7", 7)]
    [InlineData("max-age=99999999999999", 2147483648)]
    public void Max_age_is_read_from_its_own_directive(string value, long seconds)
    {
        var directives = CacheDirectives.Parse(value);

        Assert.False(directives.Invalid);
        Assert.Equal(TimeSpan.FromSeconds(seconds), directives.MaxAge);
    }

    [Theory]
    [InlineData("no-cache", true)]
    [InlineData("No-CaChE, max-age=100", true)]
    [InlineData("no-cache=\"Set-Cookie\"", true)]
    [InlineData("max-age=2, must-revalidate", true)]
    [InlineData("proxy-revalidate", true)]
    [InlineData("s-maxage=2", true)]
    [InlineData("max-age=2, stale-while-revalidate=60", false)]
    public void Directives_that_forbid_stale_serving_are_recognised(string value, bool forbids) =>
        Assert.Equal(forbids, CacheDirectives.Parse(value).ForbidsStale);

    [Fact]
    public void Stale_windows_of_RFC_5861_are_read()
    {
        var directives = CacheDirectives.Parse("max-age=60, stale-while-revalidate=30, stale-if-error=600");

        Assert.Equal((TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(600)), (directives.StaleWhileRevalidate, directives.StaleIfError));
    }

    [Theory]
    [InlineData("max-age=3600", 3600)]
    [InlineData("max-age=60, private", 60)]
    [InlineData("max-age=0;foo=bar", 0)]
    public void A_targeted_field_is_a_structured_dictionary(string value, long seconds) =>
        Assert.Equal(TimeSpan.FromSeconds(seconds), CacheDirectives.TargetedField(value)!.MaxAge);

    [Theory]
    [InlineData("max-age=10000, &&&&&")]
    [InlineData("max-age=\"10000\"")]
    [InlineData("Max-Age=10")]
    [InlineData("private=\"x\"")]
    [InlineData("max-age=1,")]
    [InlineData("")]
    public void An_invalid_targeted_field_is_ignored(string value) =>
        Assert.Null(CacheDirectives.TargetedField(value));
}
