using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging;
using Mtls.Extensions.Infrastructure;

namespace Mtls.Extensions.AspNetCore.Internal;

/// <summary>
/// Connection middleware in front of an endpoint's TLS: a connection whose handshake began (our per-handshake wiring
/// ran) but whose client certificate was never judged failed inside the TLS stack. Such a handshake is counted
/// (<c>error.type</c> <see cref="MtlsRejectionReason.HandshakeFailed"/>, <c>mtls.tls.failure</c> its class) and logged,
/// rate-limited with every other rejection; a connection closed before the handshake finished without a TLS alert
/// (a load balancer's TCP check) only at Debug.
/// </summary>
/// <remarks>
/// Kestrel keeps the TLS error to its own Debug log and does not hand it to the app. The class is read from the
/// exceptions the TLS stack throws on this connection's own flow (a first-chance exception handler that looks only at
/// connections whose handshake is being observed, through an <see cref="AsyncLocal{T}"/> set per connection): nothing
/// is added to a handshake that succeeds beyond that one value.
/// </remarks>
internal sealed class HandshakeFailureObserver(MtlsMetrics metrics, RejectionLogLimiter limiter, ILogger<HandshakeFailureObserver> logger)
{
    private static readonly AsyncLocal<TlsFailureProbe?> CurrentProbe = new();
    private static int s_subscribed;

    public void Observe(ListenOptions listenOptions)
    {
        if (Interlocked.Exchange(ref s_subscribed, 1) == 0)
        {
            AppDomain.CurrentDomain.FirstChanceException += static (_, e) => CurrentProbe.Value?.Seen(e.Exception);
        }

        listenOptions.Use(Wrap);
    }

    private ConnectionDelegate Wrap(ConnectionDelegate next) => async connection =>
    {
        if (connection.Items.ContainsKey(typeof(TlsFailureProbe)))
        {
            await next(connection).ConfigureAwait(false);
            return;
        }

        var probe = new TlsFailureProbe(connection);
        connection.Items[typeof(TlsFailureProbe)] = probe;
        CurrentProbe.Value = probe;
        try
        {
            await next(connection).ConfigureAwait(false);
        }
        finally
        {
            CurrentProbe.Value = null;
            Check(connection, probe);
        }
    };

    private void Check(ConnectionContext connection, TlsFailureProbe probe)
    {
        var failedBeforeVerdict = connection.Features.Get<IMtlsPeerFeature>() switch
        {
            // Our per-handshake wiring ran, and the certificate was never judged.
            MtlsPeerFeature { Result: null } => true,
            // A TLS endpoint whose handshake ended before our wiring ran: Kestrel reads the ClientHello (for the
            // resumption offer) before it creates the SslStream, so a client stalled or gone mid-hello ends here.
            null => connection.Features.Get<Microsoft.AspNetCore.Http.Features.ITlsConnectionFeature>() is not null,
            _ => false,
        };
        if (!failedBeforeVerdict)
        {
            return;
        }

        var failure = probe.Classify();
        metrics.HandshakeFailed(PeerRole.Client, TlsFailureProbe.TagOf(failure.Class));
        var level = failure.Class == TlsFailureClass.Closed ? LogLevel.Debug : LogLevel.Warning;
        var remote = RejectionLogLimiter.Describe(connection.RemoteEndPoint);
        if (logger.IsEnabled(level) && limiter.ShouldLog(MtlsRejectionReason.HandshakeFailed, remote))
        {
            Log.HandshakeFailed(logger, level, connection.ConnectionId, remote ?? "(unknown)", MtlsRejectionReason.HandshakeFailed, TlsFailureProbe.TagOf(failure.Class), failure.Detail);
        }
    }
}
