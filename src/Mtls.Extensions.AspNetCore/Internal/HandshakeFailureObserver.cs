using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging;
using Mtls.Extensions.Infrastructure;

namespace Mtls.Extensions.AspNetCore.Internal;

/// <summary>
/// Connection middleware in front of an endpoint's TLS: a connection whose handshake began (our per-handshake wiring
/// ran, so a ClientHello arrived) but whose client certificate was never judged failed inside the TLS stack (a
/// certificate message above its size limit, a certificate that does not parse, a peer that gave up). Such a handshake
/// is counted (<c>error.type</c> <see cref="MtlsRejectionReason.HandshakeFailed"/>) and logged, rate-limited with every
/// other rejection. Kestrel keeps the TLS error itself to its own Debug log; the app is not handed it.
/// </summary>
internal sealed class HandshakeFailureObserver(MtlsMetrics metrics, RejectionLogLimiter limiter, ILogger<HandshakeFailureObserver> logger)
{
    private static readonly object Marker = new();

    public void Observe(ListenOptions listenOptions) => listenOptions.Use(Wrap);

    private ConnectionDelegate Wrap(ConnectionDelegate next) => async connection =>
    {
        if (connection.Items.ContainsKey(Marker))
        {
            await next(connection).ConfigureAwait(false);
            return;
        }

        connection.Items[Marker] = Marker;
        try
        {
            await next(connection).ConfigureAwait(false);
        }
        finally
        {
            Check(connection);
        }
    };

    private void Check(ConnectionContext connection)
    {
        if (connection.Features.Get<IMtlsPeerFeature>() is not MtlsPeerFeature { Result: null })
        {
            return;
        }

        metrics.Validated(PeerRole.Client, MtlsRejectionReason.HandshakeFailed);
        var remote = RejectionLogLimiter.Describe(connection.RemoteEndPoint);
        if (logger.IsEnabled(LogLevel.Warning) && limiter.ShouldLog(MtlsRejectionReason.HandshakeFailed, remote))
        {
            Log.HandshakeFailed(logger, connection.ConnectionId, remote ?? "(unknown)", MtlsRejectionReason.HandshakeFailed,
                "the TLS stack ended the handshake after the ClientHello and before the client's certificate reached the validator: it refused what the client sent " +
                "(for example a certificate message above its size limit, or a certificate that does not parse), or the client gave up (for example because it does not trust this server's certificate). " +
                "Kestrel logs the TLS error at Debug (category Microsoft.AspNetCore.Server.Kestrel.Https).");
        }
    }
}
