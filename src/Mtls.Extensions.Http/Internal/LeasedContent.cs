using System.Net;
using System.Net.Http;

namespace Mtls.Extensions.Http.Internal;

/// <summary>
/// Wraps a response body so the handler lease it came from is held until the body is read to the end or disposed:
/// a rotation never disposes a handler under a response that is still streaming.
/// </summary>
internal sealed class LeasedContent : HttpContent
{
    private readonly HttpContent _inner;
    private HandlerLease? _lease;

    public LeasedContent(HttpContent inner, HandlerLease lease)
    {
        _inner = inner;
        _lease = lease;
        foreach (var header in inner.Headers.NonValidated)
        {
            // Value by value: the IEnumerable<string> overload would box the values and enumerate them through an interface.
            foreach (var value in header.Value)
            {
                Headers.TryAddWithoutValidation(header.Key, value);
            }
        }
    }

    public void ReleaseLease() => Interlocked.Exchange(ref _lease, null)?.Release();

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
        await SerializeToStreamAsync(stream, context, CancellationToken.None).ConfigureAwait(false);

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
    {
        try
        {
            await _inner.CopyToAsync(stream, context, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            ReleaseLease();
        }
    }

    protected override void SerializeToStream(Stream stream, TransportContext? context, CancellationToken cancellationToken)
    {
        try
        {
            _inner.CopyTo(stream, context, cancellationToken);
        }
        finally
        {
            ReleaseLease();
        }
    }

    protected override async Task<Stream> CreateContentReadStreamAsync() =>
        await CreateContentReadStreamAsync(CancellationToken.None).ConfigureAwait(false);

    protected override Task<Stream> CreateContentReadStreamAsync(CancellationToken cancellationToken)
    {
        // The inner stream of a SocketsHttpHandler response is ready at once: wrap it without an async frame.
        var reading = _inner.ReadAsStreamAsync(cancellationToken);
        return reading.IsCompletedSuccessfully ? Task.FromResult<Stream>(new LeasedStream(reading.Result, this)) : WrapAsync(reading);
    }

    private async Task<Stream> WrapAsync(Task<Stream> reading) => new LeasedStream(await reading.ConfigureAwait(false), this);

    protected override Stream CreateContentReadStream(CancellationToken cancellationToken) =>
        new LeasedStream(_inner.ReadAsStream(cancellationToken), this);

    protected override bool TryComputeLength(out long length)
    {
        var known = _inner.Headers.ContentLength;
        length = known ?? 0;
        return known.HasValue;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _inner.Dispose();
            ReleaseLease();
        }

        base.Dispose(disposing);
    }

    /// <summary>The body stream; end of stream or disposal releases the lease.</summary>
    private sealed class LeasedStream(Stream inner, LeasedContent owner) : Stream
    {
        public override bool CanRead => inner.CanRead;

        public override bool CanSeek => inner.CanSeek;

        public override bool CanWrite => false;

        public override long Length => inner.Length;

        public override long Position { get => inner.Position; set => inner.Position = value; }

        public override int Read(byte[] buffer, int offset, int count) => Done(inner.Read(buffer, offset, count), count);

        public override int Read(Span<byte> buffer) => Done(inner.Read(buffer), buffer.Length);

        public override async Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            Done(await inner.ReadAsync(buffer.AsMemory(offset, count), cancellationToken).ConfigureAwait(false), count);

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            Done(await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false), buffer.Length);

        public override async Task CopyToAsync(Stream destination, int bufferSize, CancellationToken cancellationToken)
        {
            await inner.CopyToAsync(destination, bufferSize, cancellationToken).ConfigureAwait(false);
            owner.ReleaseLease();
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => inner.Seek(offset, origin);

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
                owner.ReleaseLease();
            }

            base.Dispose(disposing);
        }

        public override async ValueTask DisposeAsync()
        {
            await inner.DisposeAsync().ConfigureAwait(false);
            owner.ReleaseLease();
            await base.DisposeAsync().ConfigureAwait(false);
        }

        private int Done(int read, int requested)
        {
            if (read == 0 && requested > 0)
            {
                owner.ReleaseLease();
            }

            return read;
        }
    }
}
