using System.Net.Http;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;

namespace Mtls.Extensions.Http.Internal;

/// <summary>
/// Opens the TCP connections of one mTLS client's handlers and remembers, per request, the latest connection opened
/// for it. When SocketsHttpHandler opens another connection for a request whose previous fresh connection the server
/// closed right after a handshake in which we accepted its certificate, the server rejected our certificate (TLS 1.3
/// reports that after the handshake): the connector fails with the reason instead of letting the handler retry the
/// same certificate on new connections.
/// </summary>
/// <remarks>
/// The history lives in a weak table keyed by the request, written only when a connection is opened: a request served
/// on a pooled connection costs one lock-free lookup and allocates nothing (request options would allocate a
/// dictionary per request).
/// </remarks>
internal sealed class ClientConnector(string clientName, ILogger logger)
{
    private readonly ConditionalWeakTable<HttpRequestMessage, ConnectionAttempt> _attempts = new();

    /// <summary>Forgets the connection history of a request object that is sent again (a retry).</summary>
    public void Forget(HttpRequestMessage request)
    {
        if (_attempts.TryGetValue(request, out _))
        {
            _attempts.Remove(request);
        }
    }

    /// <summary>The <see cref="SocketsHttpHandler.ConnectCallback"/> of a handler built for <paramref name="lease"/>.</summary>
    public async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, HandlerLease lease, CancellationToken cancellationToken)
    {
        var request = context.InitialRequestMessage;
        // The handler asks for another connection for a request only when the previous one failed before any response;
        // one that the server ended (a reset, an end of stream, or a close_notify SslStream read for us) right after a
        // handshake in which we accepted its certificate is the server refusing ours, whatever the next one would do.
        if (_attempts.TryGetValue(request, out var previous) && (previous.ClosedByPeer || previous.EndedYoung) &&
            lease.VerdictSince(context.DnsEndPoint.Host, previous.Started) is { IsValid: true })
        {
            var host = context.DnsEndPoint.Host;
            var ours = $"{lease.Material.Certificate.Subject} (SHA-256 {lease.Material.ThumbprintSha256})";
            Log.RejectedByServer(logger, clientName, host, MtlsRejectionReason.RejectedByPeer, "connection closed right after the handshake");
            throw new MtlsHandshakeException(
                $"The server {host} closed the connection right after the TLS handshake without answering: it rejected the client certificate {ours} of the mTLS client '{clientName}' (RejectedByPeer). Check that the server pins the CA that issued it and allows its identity.",
                MtlsRejectionReason.RejectedByPeer, MtlsHandshakeSide.Server, clientName, request.RequestUri);
        }

        var attempt = new ConnectionAttempt(TrackedNetworkStream.Now());
        _attempts.AddOrUpdate(request, attempt);
        return await TrackedNetworkStream.ConnectAsync(context.DnsEndPoint, attempt, cancellationToken).ConfigureAwait(false);
    }
}
