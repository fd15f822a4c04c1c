using System.Diagnostics;
using System.Net;
using System.Net.Http;
using System.Net.Sockets;

namespace Mtls.Extensions.Http.Internal;

/// <summary>What the client knows about the latest connection opened for a request.</summary>
internal sealed class ConnectionAttempt(long started)
{
    public long Started { get; } = started;

    /// <summary>Gets or sets a value indicating whether the peer closed or reset the connection.</summary>
    public bool ClosedByPeer { get; set; }

    /// <summary>
    /// Gets or sets a value indicating whether the connection ended while still young (within its tracked reads). A TLS
    /// 1.3 server's close_notify is encrypted: SslStream reads it, reports the end of the stream and the connection is
    /// disposed without the socket ever returning end of stream to us.
    /// </summary>
    public bool EndedYoung { get; set; }
}

/// <summary>
/// A socket stream that notes when the server closes the connection (end of stream or reset) while the connection is
/// young: the first <see cref="TrackedReads"/> reads cover the handshake and the first response, which is where a server
/// that rejects our certificate after a TLS 1.3 handshake closes it. Later reads go straight to the socket, without an
/// async frame of ours (a pending socket read allocates nothing; an async override would allocate on every one).
/// </summary>
internal sealed class TrackedNetworkStream(Socket socket, ConnectionAttempt attempt) : NetworkStream(socket, ownsSocket: true)
{
    /// <summary>How many reads of a new connection are watched for the peer closing it.</summary>
    internal const int TrackedReads = 16;

    private int _untracked = TrackedReads;

    public override int Read(byte[] buffer, int offset, int count)
    {
        if (!Tracking())
        {
            return base.Read(buffer, offset, count);
        }

        try
        {
            return Seen(base.Read(buffer, offset, count), count);
        }
        catch (IOException)
        {
            attempt.ClosedByPeer = true;
            throw;
        }
    }

    public override int Read(Span<byte> buffer)
    {
        if (!Tracking())
        {
            return base.Read(buffer);
        }

        try
        {
            return Seen(base.Read(buffer), buffer.Length);
        }
        catch (IOException)
        {
            attempt.ClosedByPeer = true;
            throw;
        }
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        Tracking() ? TrackedReadAsync(buffer, cancellationToken) : base.ReadAsync(buffer, cancellationToken);

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    protected override void Dispose(bool disposing)
    {
        if (_untracked > 0)
        {
            attempt.EndedYoung = true;
        }

        base.Dispose(disposing);
    }

    private bool Tracking()
    {
        if (_untracked <= 0)
        {
            return false;
        }

        // Reads of one connection do not overlap (SslStream reads one record at a time), so a plain decrement is safe.
        _untracked--;
        return true;
    }

    private async ValueTask<int> TrackedReadAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        try
        {
            return Seen(await base.ReadAsync(buffer, cancellationToken).ConfigureAwait(false), buffer.Length);
        }
        catch (IOException)
        {
            attempt.ClosedByPeer = true;
            throw;
        }
    }

    private int Seen(int read, int requested)
    {
        if (read == 0 && requested > 0)
        {
            attempt.ClosedByPeer = true;
        }

        return read;
    }

    /// <summary>Opens a TCP connection like SocketsHttpHandler's default (dual mode, no Nagle).</summary>
    public static async ValueTask<TrackedNetworkStream> ConnectAsync(DnsEndPoint endPoint, ConnectionAttempt attempt, CancellationToken cancellationToken)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(endPoint, cancellationToken).ConfigureAwait(false);
            return new TrackedNetworkStream(socket, attempt);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    internal static long Now() => Stopwatch.GetTimestamp();
}
