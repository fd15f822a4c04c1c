using System.Diagnostics;
using System.Net;
using System.Net.Http;
using System.Net.Sockets;

namespace Mtls.Extensions.Http.Internal;

/// <summary>What the client knows about the latest connection opened for a request.</summary>
internal sealed class ConnectionAttempt(long started)
{
    public static readonly HttpRequestOptionsKey<ConnectionAttempt> Key = new("Mtls.Extensions.ConnectionAttempt");

    public long Started { get; } = started;

    /// <summary>Gets or sets a value indicating whether the peer closed or reset the connection.</summary>
    public bool ClosedByPeer { get; set; }

    public static void Forget(HttpRequestMessage request) => ((IDictionary<string, object?>)request.Options).Remove(Key.Key);
}

/// <summary>A socket stream that notes when the server closes the connection (end of stream or reset).</summary>
internal sealed class TrackedNetworkStream(Socket socket, ConnectionAttempt attempt) : NetworkStream(socket, ownsSocket: true)
{
    public override int Read(byte[] buffer, int offset, int count)
    {
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

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
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

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

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
