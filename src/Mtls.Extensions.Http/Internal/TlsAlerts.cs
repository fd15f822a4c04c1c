namespace Mtls.Extensions.Http.Internal;

/// <summary>Finds the TLS alert OpenSSL reported in a transport exception and maps it to a reason code.</summary>
internal static class TlsAlerts
{
    // OpenSSL error strings: "sslv3 alert bad certificate", "tlsv1 alert unknown ca", "tlsv13 alert certificate required"...
    private static readonly string[] Alerts =
    [
        "certificate required",
        "unknown ca",
        "bad certificate",
        "unsupported certificate",
        "certificate revoked",
        "certificate expired",
        "certificate unknown",
        "access denied",
        "decrypt error",
        "handshake failure",
        "insufficient security",
        "internal error",
    ];

    // OpenSSL error strings of a handshake with no protocol version in common: the server's alert on our ClientHello,
    // or our own refusal of a ServerHello below TLS 1.2.
    private static readonly string[] ProtocolMismatches =
    [
        "alert protocol version",
        "unsupported protocol",
        "wrong version number",
        "no protocols available",
    ];

    /// <summary>Finds the OpenSSL error of a handshake that failed because client and server share no protocol version.</summary>
    public static string? FindProtocolMismatch(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            foreach (var mismatch in ProtocolMismatches)
            {
                if (e.Message.Contains(mismatch, StringComparison.OrdinalIgnoreCase))
                {
                    return mismatch;
                }
            }
        }

        return null;
    }

    public static string? Find(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            var message = e.Message;
            var at = message.IndexOf(" alert ", StringComparison.OrdinalIgnoreCase);
            if (at < 0)
            {
                continue;
            }

            foreach (var alert in Alerts)
            {
                if (message.IndexOf(alert, at, StringComparison.OrdinalIgnoreCase) >= 0)
                {
                    return alert;
                }
            }
        }

        return null;
    }

    public static MtlsRejectionReason ToReason(string alert) => alert switch
    {
        "certificate required" => MtlsRejectionReason.NoCertificate,
        "unknown ca" => MtlsRejectionReason.UntrustedRoot,
        "unsupported certificate" => MtlsRejectionReason.WrongUsage,
        "certificate revoked" => MtlsRejectionReason.Revoked,
        "certificate expired" => MtlsRejectionReason.Expired,
        "access denied" => MtlsRejectionReason.IdentityNotAllowed,
        _ => MtlsRejectionReason.RejectedByPeer,
    };
}
