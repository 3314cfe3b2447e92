using System.Net;

namespace Ranking.Gateway.Tests.Infrastructure;

/// <summary>Checks an application/problem+json answer: status, title, and no internals leaked.</summary>
internal static class ProblemAssert
{
    public static void IsProblem(Answer answer, HttpStatusCode status, string title)
    {
        Assert.Equal(status, answer.Status);
        Assert.Equal("application/problem+json", answer.Message.Content.Headers.ContentType?.MediaType);
        Assert.Equal(title, answer.Json.GetProperty("title").GetString());
        Assert.Equal((int)status, answer.Json.GetProperty("status").GetInt32());
        Assert.DoesNotContain("   at ", answer.Body, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", answer.Body, StringComparison.Ordinal);
    }
}
