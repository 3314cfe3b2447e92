using System.IO.Pipelines;

namespace Ranking.Gateway.Proxy;

/// <summary>
/// An upstream answer the cache cannot keep, handed whole to the client whose miss fetched it: its status and headers
/// (as the route's transforms left them) and a body still arriving. Disposing it without writing it stops the upstream
/// transfer.
/// </summary>
internal sealed class Handoff(HttpResponse fetched, PipeReader body, Task sending, CancellationTokenSource abort) : IAsyncDisposable
{
    public async Task WriteToAsync(HttpContext context)
    {
        var response = context.Response;
        response.StatusCode = fetched.StatusCode;
        foreach (var (name, values) in fetched.Headers)
        {
            response.Headers[name] = values;
        }

        if (HttpMethods.IsHead(context.Request.Method))
        {
            return;
        }

        await body.CopyToAsync(response.Body, context.RequestAborted);
        await sending;
    }

    public async ValueTask DisposeAsync()
    {
        await abort.CancelAsync();
        await body.CompleteAsync();
        try
        {
            await sending;
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or HttpRequestException)
        {
            // The transfer was stopped on purpose.
        }

        abort.Dispose();
    }
}
