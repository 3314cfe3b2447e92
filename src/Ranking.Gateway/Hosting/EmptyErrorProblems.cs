using Microsoft.AspNetCore.WebUtilities;

namespace Ranking.Gateway.Hosting;

/// <summary>
/// An error answered without a body (routing's 404 and 405) gets an <c>application/problem+json</c> body, as
/// <c>UseStatusCodePages</c> with <c>AddProblemDetails</c> writes it (text when the client accepts no JSON), without what
/// that middleware adds to every request: a request feature and an <c>HttpContext.Items</c> entry. A FRESH hit passes
/// through with one check after the endpoint. A proxied upstream's bodiless error is passed on as it came (YARP has
/// started the answer).
/// </summary>
internal sealed class EmptyErrorProblems(RequestDelegate next, IProblemDetailsService problems)
{
    public Task InvokeAsync(HttpContext context)
    {
        var handled = next(context);
        return handled.IsCompletedSuccessfully ? WriteIfEmptyAsync(context) : AfterAsync(handled, context);
    }

    private async Task AfterAsync(Task handled, HttpContext context)
    {
        await handled;
        await WriteIfEmptyAsync(context);
    }

    private Task WriteIfEmptyAsync(HttpContext context)
    {
        var response = context.Response;
        if (response.HasStarted || response.StatusCode is < 400 or >= 600 || response.ContentLength.HasValue || !string.IsNullOrEmpty(response.ContentType))
        {
            return Task.CompletedTask;
        }

        return WriteAsync(context, response.StatusCode);
    }

    private async Task WriteAsync(HttpContext context, int status)
    {
        if (!await problems.TryWriteAsync(new ProblemDetailsContext { HttpContext = context, ProblemDetails = { Status = status } }))
        {
            context.Response.ContentType = "text/plain";
            await context.Response.WriteAsync($"Status Code: {status}; {ReasonPhrases.GetReasonPhrase(status)}");
        }
    }
}
