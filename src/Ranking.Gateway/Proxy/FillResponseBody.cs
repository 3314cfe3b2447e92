using System.IO.Pipelines;

namespace Ranking.Gateway.Proxy;

/// <summary>
/// Where YARP copies a fill's answer. It is kept, up to the policy's <c>MaxBodyBytes</c>, for the cache; an answer the
/// cache cannot keep (too large, or not storable) is handed to the client waiting on the miss instead, through a
/// small pipe, so the gateway never holds more than the limit in memory for it. With no client to hand it to (a
/// background refresh) an oversized answer is abandoned.
/// </summary>
internal sealed class FillResponseBody(int limit, bool canHandOff) : Stream
{
    // Backpressure: the forwarder waits while this much is unread by the client.
    private const long PauseAt = 64 * 1024;

    private readonly TaskCompletionSource _handedOff = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private MemoryStream _kept = new();
    private Pipe? _pipe;

    /// <summary>Completes when the answer is handed to the waiting client instead of kept.</summary>
    public Task HandedOff => _handedOff.Task;

    public PipeReader? Reader => _pipe?.Reader;

    /// <summary>The answer went past the limit.</summary>
    public bool Overflowed { get; private set; }

    public byte[] Kept => _kept.ToArray();

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    /// <summary>Decided at the response headers: this answer is not for the cache.</summary>
    /// <returns>Whether a client takes it (so its body is copied); false when nobody will read it.</returns>
    public bool HandOff()
    {
        if (!canHandOff)
        {
            return false;
        }

        StartPipe();
        return true;
    }

    /// <summary>Ends the handed-off answer: the client has read it all, or reads an error.</summary>
    public void Complete(Exception? error = null) => _pipe?.Writer.Complete(error);

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_pipe is null)
        {
            if (_kept.Length + buffer.Length <= limit)
            {
                _kept.Write(buffer.Span);
                return;
            }

            Overflowed = true;
            if (!canHandOff)
            {
                throw new IOException($"The answer is larger than MaxBodyBytes ({limit} bytes); it is not stored.");
            }

            StartPipe();
            var kept = _kept;
            _kept = new MemoryStream();
            await ToPipeAsync(kept.GetBuffer().AsMemory(0, (int)kept.Length), cancellationToken);
        }

        await ToPipeAsync(buffer, cancellationToken);
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer, offset, count).GetAwaiter().GetResult();

    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public override void Flush()
    {
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    private void StartPipe()
    {
        _pipe = new Pipe(new PipeOptions(pauseWriterThreshold: PauseAt, resumeWriterThreshold: PauseAt / 2));
        _handedOff.TrySetResult();
    }

    private async ValueTask ToPipeAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken)
    {
        if ((await _pipe!.Writer.WriteAsync(buffer, cancellationToken)).IsCompleted)
        {
            throw new IOException("The client stopped reading the answer.");
        }
    }
}
