using Microsoft.Extensions.Logging;

namespace Mtls.Extensions.Http.Internal;

/// <summary>Log events of the HTTP client package: 45x, in the core's 4xx rotation-and-handlers group. Ids never change.</summary>
internal static partial class Log
{
    [LoggerMessage(EventIds.ClientCreated, LogLevel.Information, "mTLS client {Client} presents {Subject} (SHA-256 {Thumbprint}) and pins {Anchors}.", EventName = nameof(EventIds.ClientCreated))]
    public static partial void ClientCreated(ILogger logger, string client, string subject, string thumbprint, string anchors);

    [LoggerMessage(EventIds.HandlerRecycled, LogLevel.Information, "mTLS client {Client} recycled its primary handler ({OldGeneration} -> {NewGeneration}): new connections present {Subject} (SHA-256 {Thumbprint}) and pin trust bundle {TrustHash}; requests in flight finish on the old handler.", EventName = nameof(EventIds.HandlerRecycled))]
    public static partial void HandlerRecycled(ILogger logger, string client, long oldGeneration, long newGeneration, string subject, string thumbprint, string trustHash);

    [LoggerMessage(EventIds.HandlerDisposed, LogLevel.Debug, "mTLS client {Client} disposed drained primary handler {Generation}.", EventName = nameof(EventIds.HandlerDisposed))]
    public static partial void HandlerDisposed(ILogger logger, string client, long generation);

    [LoggerMessage(EventIds.RejectedByServer, LogLevel.Warning, "The server {Host} rejected the certificate of mTLS client {Client}: {Reason} ({Evidence}).", EventName = nameof(EventIds.RejectedByServer))]
    public static partial void RejectedByServer(ILogger logger, string client, string host, MtlsRejectionReason reason, string evidence);

    [LoggerMessage(EventIds.ServerCertificateExpired, LogLevel.Information, "mTLS client {Client} replaced its primary handler ({OldGeneration} -> {NewGeneration}) because a server certificate it holds connections to expired: no pooled connection carries a request past its server's notAfter.", EventName = nameof(EventIds.ServerCertificateExpired))]
    public static partial void ServerCertificateExpired(ILogger logger, string client, long oldGeneration, long newGeneration);

    [LoggerMessage(EventIds.ProtocolMismatch, LogLevel.Warning, "mTLS client {Client} shares no TLS protocol version with {Host}: it offers TLS 1.2 and 1.3 only ({Evidence}).", EventName = nameof(EventIds.ProtocolMismatch))]
    public static partial void ProtocolMismatch(ILogger logger, string client, string host, string evidence);
    [LoggerMessage(EventIds.ExpectedServer, LogLevel.Information, "mTLS client {Client} expects the server identity {ExpectedServer} (effective value of {ConfigurationPath}:ExpectedServer after every configuration source).", EventName = nameof(EventIds.ExpectedServer))]
    public static partial void ExpectedServer(ILogger logger, string client, string expectedServer, string configurationPath);
}
