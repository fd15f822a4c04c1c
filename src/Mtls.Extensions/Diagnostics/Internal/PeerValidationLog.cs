using Microsoft.Extensions.Logging;
using Mtls.Extensions.Infrastructure;

namespace Mtls.Extensions.Internal;

/// <summary>
/// The log sink of <see cref="PeerCertificateValidator"/>: rejections rate-limited per reason (a peer that sent no
/// certificate at a lower level than a rejected certificate), every peer-controlled string escaped and capped.
/// </summary>
internal sealed class PeerValidationLog(ILogger logger, RejectionLogLimiter limiter)
{
    public void Report(PeerValidationResult result)
    {
        if (result.IsValid)
        {
            if (logger.IsEnabled(LogLevel.Debug))
            {
                Log.PeerAccepted(logger, result.Role, PeerText.Escape(result.Identity.DisplayName), result.Identity.ThumbprintSha256);
            }

            return;
        }

        var level = result.Reason == MtlsRejectionReason.NoCertificate ? LogLevel.Information : LogLevel.Warning;
        if (!logger.IsEnabled(level) || !limiter.ShouldLog(result.Reason))
        {
            return;
        }

        if (result.Reason == MtlsRejectionReason.NoCertificate)
        {
            var remote = RejectionLogLimiter.CurrentRemoteAddress;
            Log.PeerWithoutCertificate(logger, result.Role, remote is null ? string.Empty : " by " + remote);
            return;
        }

        Log.PeerRejected(logger, result.Role, result.Reason, PeerText.Escape(result.Identity?.Subject ?? "(none)"), result.Identity?.ThumbprintSha256 ?? "-", PeerText.Escape(result.Message, PeerText.MaxMessageLength));
    }
}
