using System.Net.Http;
using System.Security.Authentication;
using Microsoft.Extensions.Logging;

namespace Mtls.Extensions.Http.Internal;

/// <summary>
/// Tells a certificate rejection from any other transport failure of one mTLS client, after the fact: only a request
/// that failed is looked at. The client's own verdict on the server (recorded per handshake on the handler lease)
/// comes first; then a TLS alert from the server; then a TLS 1.3 server closing the connection right after a handshake
/// in which we accepted its certificate.
/// </summary>
internal sealed class ClientRejectionClassifier(string name, ILogger logger)
{
    /// <summary>Turns a transport failure into an <see cref="MtlsHandshakeException"/> when a certificate was rejected; otherwise <see langword="null"/>.</summary>
    public MtlsHandshakeException? Classify(Exception exception, HttpRequestMessage request, HandlerLease lease, long started)
    {
        if (exception is OperationCanceledException)
        {
            return null;
        }

        for (var e = exception.InnerException; e is not null; e = e.InnerException)
        {
            if (e is MtlsHandshakeException decided)
            {
                return decided;
            }
        }

        var uri = request.RequestUri;
        var host = uri?.IdnHost ?? "(unknown host)";
        // The verdict of a handshake this request waited for: same handler, same host, after the request started.
        var verdict = HostOf(uri) is { } h ? lease.VerdictSince(h, started) : null;
        if (verdict is { IsValid: false })
        {
            return new MtlsHandshakeException(
                $"The mTLS client '{name}' rejected the certificate of {host} ({verdict.Reason}): {verdict.Message}",
                verdict.Reason, MtlsHandshakeSide.Client, name, uri, exception, verdict);
        }

        var ours = $"{lease.Material.Certificate.Subject} (SHA-256 {lease.Material.ThumbprintSha256})";
        if (HasException<AuthenticationException>(exception))
        {
            if (TlsAlerts.FindProtocolMismatch(exception) is { } mismatch)
            {
                // Not a certificate rejection, but as final: the same hello gets the same answer, so it is never retried.
                var side = mismatch.StartsWith("alert", StringComparison.Ordinal) ? MtlsHandshakeSide.Server : MtlsHandshakeSide.Client;
                Log.ProtocolMismatch(logger, name, host, mismatch);
                return new MtlsHandshakeException(
                    $"The TLS handshake of the mTLS client '{name}' with {host} failed before any certificate was exchanged: the server offers no protocol version the client allows " +
                    $"(TLS 1.2 or TLS 1.3; OpenSSL reported '{mismatch}'). A server that offers only TLS 1.0 or 1.1 must enable TLS 1.2 or later; the client never offers TLS 1.0 or 1.1.",
                    MtlsRejectionReason.HandshakeFailed, side, name, uri, exception);
            }

            var alert = TlsAlerts.Find(exception);
            if (alert is not null)
            {
                var reason = TlsAlerts.ToReason(alert);
                Log.RejectedByServer(logger, name, host, reason, alert);
                return new MtlsHandshakeException(
                    $"The server {host} rejected the client certificate {ours} of the mTLS client '{name}' with the TLS alert '{alert}' ({reason}). Check that the server pins the CA that issued it and allows its identity.",
                    reason, MtlsHandshakeSide.Server, name, uri, exception);
            }

            if (verdict is { IsValid: true })
            {
                Log.RejectedByServer(logger, name, host, MtlsRejectionReason.RejectedByPeer, "handshake failed after the server certificate was accepted");
                return new MtlsHandshakeException(
                    $"The TLS handshake with {host} failed after the mTLS client '{name}' accepted the server certificate: the server rejected the client certificate {ours}.",
                    MtlsRejectionReason.RejectedByPeer, MtlsHandshakeSide.Server, name, uri, exception);
            }

            return null;
        }

        // TLS 1.3: the client finishes its side of the handshake before the server has judged the client certificate;
        // a server that rejects it closes the connection (with or without an alert) instead of answering the request.
        if (verdict is { IsValid: true } && IsClosedBeforeResponse(exception))
        {
            var alert = TlsAlerts.Find(exception);
            var reason = alert is null ? MtlsRejectionReason.RejectedByPeer : TlsAlerts.ToReason(alert);
            Log.RejectedByServer(logger, name, host, reason, alert ?? "connection closed right after the handshake");
            var how = alert is null ? "closed the connection right after the TLS handshake without answering" : $"sent the TLS alert '{alert}' right after the handshake";
            return new MtlsHandshakeException(
                $"The server {host} {how}: it rejected the client certificate {ours} of the mTLS client '{name}' ({reason}). Check that the server pins the CA that issued it and allows its identity.",
                reason, MtlsHandshakeSide.Server, name, uri, exception);
        }

        return null;
    }

    private static bool IsClosedBeforeResponse(Exception exception)
    {
        if (exception is HttpRequestException { HttpRequestError: HttpRequestError.ResponseEnded or HttpRequestError.SecureConnectionError })
        {
            return true;
        }

        return HasException<IOException>(exception) || HasException<System.Net.Sockets.SocketException>(exception);
    }

    private static bool HasException<T>(Exception exception)
        where T : Exception
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is T)
            {
                return true;
            }
        }

        return false;
    }

    private static string? HostOf(Uri? uri)
    {
        if (uri is null)
        {
            return null;
        }

        var host = uri.IdnHost;
        return host.Length > 1 && host[0] == '[' ? host[1..^1] : host;
    }
}
