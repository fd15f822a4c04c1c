using Microsoft.Extensions.Logging;

namespace Mtls.Extensions.AspNetCore.Internal;

/// <summary>Log events of the <c>Certificate</c> compatibility scheme (34x).</summary>
internal static partial class Log
{
    [LoggerMessage(341, LogLevel.Debug, "No client certificate on connection {ConnectionId} for the {Scheme} scheme.", EventName = "CompatibilityNoCertificate")]
    public static partial void CompatibilityNoCertificate(ILogger logger, string connectionId, string scheme);

    [LoggerMessage(342, LogLevel.Information, "The {Scheme} scheme rejected the client certificate of connection {ConnectionId}: {Reason}.", EventName = "CompatibilityRejected")]
    public static partial void CompatibilityRejected(ILogger logger, string connectionId, string scheme, string reason);

    [LoggerMessage(343, LogLevel.Debug, "The client certificate of connection {ConnectionId} is not the one its handshake judged (e.g. a forwarded certificate, HTTP/3); validated it once for the {Scheme} scheme.", EventName = "CompatibilityFallbackValidation")]
    public static partial void CompatibilityFallbackValidation(ILogger logger, string connectionId, string scheme);
}
