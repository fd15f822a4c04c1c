using Microsoft.Extensions.Logging;

namespace Mtls.Extensions.AspNetCore.Internal;

/// <summary>Server log events. Ids never change once shipped: 25x handshake, 3xx authentication and identity mapping.</summary>
internal static partial class Log
{
    [LoggerMessage(EventIds.ServerConfigured, LogLevel.Information, "Mutual TLS enabled on HTTPS endpoints: server certificate {Subject} (SHA-256 {Thumbprint}), client certificates {Mode}, pinned CAs: {Anchors}.", EventName = nameof(EventIds.ServerConfigured))]
    public static partial void ServerConfigured(ILogger logger, string subject, string thumbprint, MtlsClientCertificateMode mode, string anchors);

    [LoggerMessage(EventId = EventIds.HandshakeFailed, Message = "The TLS handshake of connection {ConnectionId} from {RemoteAddress} failed before its client certificate was judged ({Reason}, {TlsFailure}): {Detail}", EventName = nameof(EventIds.HandshakeFailed))]
    public static partial void HandshakeFailed(ILogger logger, LogLevel level, string connectionId, string remoteAddress, MtlsRejectionReason reason, string tlsFailure, string detail);

    [LoggerMessage(EventIds.NoCertificate, LogLevel.Debug, "No client certificate on connection {ConnectionId}.", EventName = nameof(EventIds.NoCertificate))]
    public static partial void NoCertificate(ILogger logger, string connectionId);

    [LoggerMessage(EventIds.AuthenticationFailed, LogLevel.Information, "Mutual TLS authentication failed on connection {ConnectionId}: {Reason}.", EventName = nameof(EventIds.AuthenticationFailed))]
    public static partial void AuthenticationFailed(ILogger logger, string connectionId, MtlsRejectionReason reason);

    [LoggerMessage(EventIds.FallbackValidation, LogLevel.Debug, "The handshake of connection {ConnectionId} was not wired by AddMutualTls (e.g. HTTP/3 or a custom endpoint); validated the client certificate once for the connection.", EventName = nameof(EventIds.FallbackValidation))]
    public static partial void FallbackValidation(ILogger logger, string connectionId);

    [LoggerMessage(EventIds.PeerForbidden, LogLevel.Information, "Forbidden: the mutual TLS peer {Peer} (SHA-256 {Thumbprint}) is not allowed by {Requirement} for {Method} {Path}.", EventName = nameof(EventIds.PeerForbidden))]
    public static partial void PeerForbidden(ILogger logger, string peer, string thumbprint, string requirement, string method, string path);

    [LoggerMessage(EventIds.OptionsReloadRejected, LogLevel.Error, "Reloaded mutual TLS options were not applied; the previous allowed peers stay in force: {Problem}", EventName = nameof(EventIds.OptionsReloadRejected))]
    public static partial void OptionsReloadRejected(ILogger logger, string problem);

    [LoggerMessage(EventIds.AllowedPeers, LogLevel.Information, "Mutual TLS {Key} in force (after every configuration source; environment variables replace list entries by index, not the list): {AllowedPeers}.", EventName = nameof(EventIds.AllowedPeers))]
    public static partial void AllowedPeers(ILogger logger, string key, string allowedPeers);

    [LoggerMessage(EventIds.AllowedPeersEmpty, LogLevel.Warning, "{Key} is configured but empty after binding (its entries are blank): any peer the pinned CAs issued is accepted ({Anchors}). List the allowed peers, or remove the key if that is intended.", EventName = nameof(EventIds.AllowedPeersEmpty))]
    public static partial void AllowedPeersEmpty(ILogger logger, string key, string anchors);
}
