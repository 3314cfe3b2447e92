using System.Net;
using Ranking.Gateway.Tests.Infrastructure;

namespace Ranking.Gateway.Tests.Ranking;

public sealed class InputValidationTests(TestDatabase database) : OneGatewayTest(database)
{
    private const string LongestId = "a123456789b123456789c123456789d123456789e123456789f123456789wxyz";

    [Theory]
    [InlineData(LongestId + "x")] // 65 characters
    [InlineData("-abc")]
    [InlineData("_abc")]
    [InlineData(".abc")]
    [InlineData("a%2Fb")] // '/'
    [InlineData("a%20b")] // ' '
    [InlineData("a%25b")] // '%'
    [InlineData("caf%C3%A9")] // 'é'
    [InlineData("a%7Bb")] // '{'
    [InlineData("a*b")]
    [InlineData("abc%0A")] // a trailing newline
    public async Task Bad_group_ids_are_rejected_with_400_and_change_nothing(string group)
    {
        await Database.SeedAsync("abc", 3);
        var queries = await Database.OriginQueriesAsync();

        var answer = await Client.GetAnswerAsync($"/ranking/{group}");

        ProblemAssert.IsProblem(answer, HttpStatusCode.BadRequest, "Invalid group id");
        Assert.Equal(queries, await Database.OriginQueriesAsync());
        Assert.Empty(await Redis.KeysAsync(Prefix));
    }

    [Theory]
    [InlineData("limit=0")]
    [InlineData("limit=101")]
    [InlineData("limit=-1")]
    [InlineData("limit=abc")]
    [InlineData("limit=1.5")]
    [InlineData("limit=")]
    [InlineData("limit")]
    [InlineData("limit=%205")] // " 5"
    [InlineData("limit=5%20")] // "5 "
    [InlineData("limit=%2B5")] // "+5"
    [InlineData("limit=+5")] // '+' is a space in a query string
    [InlineData("limit=1&limit=2")]
    [InlineData("limit=1&LIMIT=1")] // names ignore case
    [InlineData("limit=1&limit")]
    [InlineData("limit=1&lim%69t=1")] // an escaped name is still the name
    [InlineData("limit=99999999999")]
    [InlineData("limit=0x10")]
    [InlineData("limit=5%00")] // a trailing NUL, which int.TryParse ignores
    public async Task Bad_limits_are_rejected_with_400_and_change_nothing(string query)
    {
        await Database.SeedAsync("valid", 3);
        var queries = await Database.OriginQueriesAsync();

        var answer = await Client.GetAnswerAsync($"/ranking/valid?{query}");

        ProblemAssert.IsProblem(answer, HttpStatusCode.BadRequest, "Invalid limit");
        Assert.Equal(queries, await Database.OriginQueriesAsync());
        Assert.Empty(await Redis.KeysAsync(Prefix));
    }

    [Theory]
    [InlineData(LongestId)]
    [InlineData("a_b")]
    [InlineData("a.b")]
    [InlineData("a:b")]
    [InlineData("a-b")]
    [InlineData("Z9_.:-z")]
    [InlineData("7")]
    public async Task Valid_group_ids_are_served(string group)
    {
        Assert.Matches("^.{1,64}$", group);
        await Database.SeedAsync(group, 3);

        var answer = await Client.GetAnswerAsync($"/ranking/{group}");

        Assert.Equal(HttpStatusCode.OK, answer.Status);
        Assert.Equal(group, answer.Json.GetProperty("group").GetString());
        Assert.Equal(["u1", "u2", "u3"], answer.UserIds);
        Assert.Equal([Prefix + "{ranking:" + group + "}:entry"], await Redis.KeysAsync(Prefix));
    }

    [Theory]
    [InlineData("limit=1", 1)]
    [InlineData("limit=100", 100)]
    [InlineData("limit=42", 42)]
    [InlineData("", 100)]
    [InlineData("LIMIT=3", 3)] // names ignore case, as Request.Query's
    [InlineData("other=x&limit=4&flag", 4)]
    [InlineData("&&limit=5&", 5)]
    [InlineData("limit=%36", 6)] // an escaped digit
    [InlineData("lim%69t=7&x=a+b", 7)]
    [InlineData("limitx=1&xlimit=1&limit=8", 8)]
    public async Task Limits_from_1_to_100_are_served(string query, int expected)
    {
        await Database.SeedAsync("limits", 150);

        var answer = await Client.GetAnswerAsync($"/ranking/limits?{query}");

        Assert.Equal(HttpStatusCode.OK, answer.Status);
        Assert.Equal(Enumerable.Range(1, expected).Select(i => $"u{i}"), answer.UserIds);
    }
}
