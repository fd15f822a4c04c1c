using Microsoft.Extensions.Logging;

namespace Mtls.Extensions.AspNetCore.Internal;

/// <summary>Server log events. Ids never change once shipped: 25x handshake, 3xx authentication and identity mapping.</summary>
internal static partial class Log
{
    [LoggerMessage(251, LogLevel.Information, "Mutual TLS enabled on HTTPS endpoints: server certificate {Subject} (SHA-256 {Thumbprint}), client certificates {Mode}, pinned CAs: {Anchors}.", EventName = "ServerConfigured")]
    public static partial void ServerConfigured(ILogger logger, string subject, string thumbprint, MtlsClientCertificateMode mode, string anchors);

    [LoggerMessage(252, LogLevel.Warning, "The TLS handshake of connection {ConnectionId} from {RemoteAddress} failed before its client certificate was judged ({Reason}): {Detail}", EventName = "HandshakeFailed")]
    public static partial void HandshakeFailed(ILogger logger, string connectionId, string remoteAddress, MtlsRejectionReason reason, string detail);

    [LoggerMessage(301, LogLevel.Debug, "No client certificate on connection {ConnectionId}.", EventName = "NoCertificate")]
    public static partial void NoCertificate(ILogger logger, string connectionId);

    [LoggerMessage(302, LogLevel.Information, "Mutual TLS authentication failed on connection {ConnectionId}: {Reason}.", EventName = "AuthenticationFailed")]
    public static partial void AuthenticationFailed(ILogger logger, string connectionId, MtlsRejectionReason reason);

    [LoggerMessage(303, LogLevel.Debug, "The handshake of connection {ConnectionId} was not wired by AddMutualTls (e.g. HTTP/3 or a custom endpoint); validated the client certificate once for the connection.", EventName = "FallbackValidation")]
    public static partial void FallbackValidation(ILogger logger, string connectionId);

    [LoggerMessage(304, LogLevel.Information, "Forbidden: the mutual TLS peer {Peer} (SHA-256 {Thumbprint}) is not allowed by {Requirement} for {Method} {Path}.", EventName = "PeerForbidden")]
    public static partial void PeerForbidden(ILogger logger, string peer, string thumbprint, string requirement, string method, string path);

    [LoggerMessage(253, LogLevel.Error, "Reloaded mutual TLS options were not applied; the previous allowed peers stay in force: {Problem}", EventName = "OptionsReloadRejected")]
    public static partial void OptionsReloadRejected(ILogger logger, string problem);
}
