namespace Ranking.Gateway.Hosting;

/// <summary>application/problem+json answers; never a stack trace.</summary>
internal static class Problems
{
    public static Task WriteAsync(HttpContext context, int status, string title, string detail, TimeSpan? retryAfter = null)
    {
        if (retryAfter is { } delay)
        {
            context.Response.Headers.RetryAfter = ((long)Math.Ceiling(delay.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        if (HttpMethods.IsHead(context.Request.Method))
        {
            context.Response.StatusCode = status;
            context.Response.ContentType = "application/problem+json";
            return Task.CompletedTask;
        }

        return Results.Problem(detail: detail, statusCode: status, title: title).ExecuteAsync(context);
    }
}
