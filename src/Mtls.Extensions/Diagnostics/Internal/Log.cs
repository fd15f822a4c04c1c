using Microsoft.Extensions.Logging;

namespace Mtls.Extensions.Internal;

/// <summary>
/// Every log event of the core package. Ids never change once shipped:
/// 1xx loading, 2xx validation, 3xx identity mapping, 4xx rotation and handlers.
/// Only identifiers are logged: subject, SHA-256 thumbprint, NotAfter, names. Never keys, passwords or certificate bodies.
/// </summary>
internal static partial class Log
{
    [LoggerMessage(EventIds.CertificateLoaded, LogLevel.Information, "Loaded certificate {Subject} (SHA-256 {Thumbprint}) for {Name}, valid until {NotAfter}.", EventName = nameof(EventIds.CertificateLoaded))]
    public static partial void CertificateLoaded(ILogger logger, string name, string subject, string thumbprint, DateTimeOffset notAfter);

    [LoggerMessage(EventIds.TrustBundleLoaded, LogLevel.Information, "Loaded trust bundle for {Name}: {Anchors}.", EventName = nameof(EventIds.TrustBundleLoaded))]
    public static partial void TrustBundleLoaded(ILogger logger, string name, string anchors);

    [LoggerMessage(EventIds.PeerRejected, LogLevel.Warning, "Rejected {Role} certificate {Subject} (SHA-256 {Thumbprint}): {Reason}. {Detail}", EventName = nameof(EventIds.PeerRejected))]
    public static partial void PeerRejected(ILogger logger, PeerRole role, MtlsRejectionReason reason, string subject, string thumbprint, string detail);

    [LoggerMessage(EventIds.PeerAccepted, LogLevel.Debug, "Accepted {Role} certificate {Identity} (SHA-256 {Thumbprint}).", EventName = nameof(EventIds.PeerAccepted))]
    public static partial void PeerAccepted(ILogger logger, PeerRole role, string identity, string thumbprint);

    [LoggerMessage(EventIds.PeerWithoutCertificate, LogLevel.Information, "No {Role} certificate presented{RemoteAddress}.", EventName = nameof(EventIds.PeerWithoutCertificate))]
    public static partial void PeerWithoutCertificate(ILogger logger, PeerRole role, string remoteAddress);

    [LoggerMessage(EventIds.RejectionsSuppressed, LogLevel.Warning, "{Count} more rejections (reason {Reason}, {RemoteAddresses} remote addresses) in the last {Interval}.", EventName = nameof(EventIds.RejectionsSuppressed))]
    public static partial void RejectionsSuppressed(ILogger logger, long count, MtlsRejectionReason reason, string remoteAddresses, TimeSpan interval);

    [LoggerMessage(EventIds.ReloadSucceeded, LogLevel.Information, "Reloaded {Kind} for {Name}: {Subject} (SHA-256 {Thumbprint}), valid until {NotAfter}.", EventName = nameof(EventIds.ReloadSucceeded))]
    public static partial void ReloadSucceeded(ILogger logger, string kind, string name, string subject, string thumbprint, DateTimeOffset notAfter);

    [LoggerMessage(EventIds.ReloadFailed, LogLevel.Error, "Reloading {Kind} for {Name} failed; keeping the last good material ({Current}).", EventName = nameof(EventIds.ReloadFailed))]
    public static partial void ReloadFailed(ILogger logger, Exception exception, string kind, string name, string current);

    [LoggerMessage(EventIds.ReloadTornWrite, LogLevel.Debug, "Certificate and key for {Name} do not match yet (torn write?); retry {Attempt} in {Delay}.", EventName = nameof(EventIds.ReloadTornWrite))]
    public static partial void ReloadTornWrite(ILogger logger, string name, int attempt, TimeSpan delay);

    [LoggerMessage(EventIds.ReloadUnchanged, LogLevel.Debug, "{Kind} for {Name} changed on disk but the content is the same; nothing to do.", EventName = nameof(EventIds.ReloadUnchanged))]
    public static partial void ReloadUnchanged(ILogger logger, string kind, string name);

    [LoggerMessage(EventIds.TrustBundleReloaded, LogLevel.Information, "Reloaded trust bundle for {Name}: {Anchors}.", EventName = nameof(EventIds.TrustBundleReloaded))]
    public static partial void TrustBundleReloaded(ILogger logger, string name, string anchors);

    [LoggerMessage(EventIds.WatchFailed, LogLevel.Warning, "Cannot watch {Folder} for changes of {Kind} {Name}; relying on polling every {PollInterval} (zero: never).", EventName = nameof(EventIds.WatchFailed))]
    public static partial void WatchFailed(ILogger logger, Exception exception, string folder, string kind, string name, TimeSpan pollInterval);

    [LoggerMessage(EventIds.ChangeCallbackFailed, LogLevel.Error, "A change callback of {Kind} {Name} threw; the new material is in place and other callbacks ran.", EventName = nameof(EventIds.ChangeCallbackFailed))]
    public static partial void ChangeCallbackFailed(ILogger logger, Exception exception, string kind, string name);

    [LoggerMessage(EventIds.PeerConnectionClosing, LogLevel.Information, "Closing the connection {Connection} of {Role} {Peer} (SHA-256 {Thumbprint}) gracefully: {Reason}. {Detail}", EventName = nameof(EventIds.PeerConnectionClosing))]
    public static partial void PeerConnectionClosing(ILogger logger, string connection, PeerRole role, string peer, string thumbprint, MtlsRejectionReason reason, string detail);
}
