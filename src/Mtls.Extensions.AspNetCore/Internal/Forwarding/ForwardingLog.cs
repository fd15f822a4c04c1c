using Microsoft.Extensions.Logging;

namespace Mtls.Extensions.AspNetCore.Internal.Forwarding;

/// <summary>Log events of forwarded client certificates (27x). Peer-controlled text arrives escaped; ids never change once shipped.</summary>
internal static partial class ForwardingLog
{
    [LoggerMessage(EventIds.ForwardingHeadersRemoved, LogLevel.Warning, "Removed client-certificate forwarding header(s) {Headers} from a request by {Remote} ({Peer}), which is not a trusted proxy for them (Mtls:Server:Forwarding:Proxies); {Suppressed} earlier removals were not logged.", EventName = nameof(EventIds.ForwardingHeadersRemoved))]
    public static partial void HeadersRemoved(ILogger logger, string headers, string remote, string peer, long suppressed);

    [LoggerMessage(EventIds.ForwardedCertificateMalformed, LogLevel.Warning, "The client certificate forwarded by {Proxy} is malformed (MalformedCertificate): {Problem}", EventName = nameof(EventIds.ForwardedCertificateMalformed))]
    public static partial void Malformed(ILogger logger, string proxy, string problem);

    [LoggerMessage(EventIds.ForwardedCertificateMissing, LogLevel.Information, "A request forwarded by {Proxy} carries no client certificate in {Header} (NoCertificate).", EventName = nameof(EventIds.ForwardedCertificateMissing))]
    public static partial void Missing(ILogger logger, string proxy, string header);
}
