using Microsoft.Extensions.Logging;

namespace Mtls.Extensions.AspNetCore.Internal;

/// <summary>Log events of the <c>Certificate</c> compatibility scheme (34x).</summary>
internal static partial class Log
{
    [LoggerMessage(EventIds.CompatibilityNoCertificate, LogLevel.Debug, "No client certificate on connection {ConnectionId} for the {Scheme} scheme.", EventName = nameof(EventIds.CompatibilityNoCertificate))]
    public static partial void CompatibilityNoCertificate(ILogger logger, string connectionId, string scheme);

    [LoggerMessage(EventIds.CompatibilityRejected, LogLevel.Information, "The {Scheme} scheme rejected the client certificate of connection {ConnectionId}: {Reason}.", EventName = nameof(EventIds.CompatibilityRejected))]
    public static partial void CompatibilityRejected(ILogger logger, string connectionId, string scheme, string reason);

    [LoggerMessage(EventIds.CompatibilityFallbackValidation, LogLevel.Debug, "The client certificate of connection {ConnectionId} is not the one its handshake judged (e.g. a forwarded certificate, HTTP/3); validated it once for the {Scheme} scheme.", EventName = nameof(EventIds.CompatibilityFallbackValidation))]
    public static partial void CompatibilityFallbackValidation(ILogger logger, string connectionId, string scheme);
}
