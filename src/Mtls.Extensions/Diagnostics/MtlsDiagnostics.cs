namespace Mtls.Extensions;

/// <summary>Names of the library's diagnostics: the meter and its instruments.</summary>
public static class MtlsDiagnostics
{
    /// <summary>The name of the <see cref="System.Diagnostics.Metrics.Meter"/> every instrument is created on.</summary>
    public const string MeterName = "Mtls.Extensions";

    /// <summary>Counter of peer certificates judged, tagged <c>mtls.peer.role</c> (the role of the peer whose certificate was judged), <c>mtls.validation.result</c> and <c>error.type</c> (the reason).</summary>
    public const string ValidationsInstrument = "mtls.certificate.validations";

    /// <summary>Counter of certificate and trust bundle reloads, tagged <c>mtls.source.name</c>, <c>mtls.source.kind</c> and <c>mtls.reload.result</c>.</summary>
    public const string ReloadsInstrument = "mtls.certificate.reloads";

    /// <summary>Observable gauge of seconds until expiry per loaded certificate and pinned CA, tagged <c>mtls.source.name</c> and <c>mtls.certificate.kind</c>.</summary>
    public const string TimeToExpiryInstrument = "mtls.certificate.time_to_expiry";

    /// <summary>Counter of HTTP client primary handlers replaced because material changed, tagged <c>mtls.client</c>.</summary>
    public const string HandlerRecyclesInstrument = "mtls.http_client.handler_recycles";

    /// <summary>Observable gauge of live HTTP client primary handlers (current and draining), tagged <c>mtls.client</c>.</summary>
    public const string ActiveHandlersInstrument = "mtls.http_client.active_handlers";

    /// <summary>
    /// Counter of TLS handshakes judged, tagged <c>mtls.peer.role</c> (the peer's role), <c>tls.resumed</c>
    /// (OpenTelemetry's attribute: <c>true</c> for a resumed session), <c>mtls.validation.result</c> and <c>error.type</c>.
    /// </summary>
    public const string HandshakesInstrument = "mtls.tls.handshakes";

    /// <summary>
    /// Counter of connections ended because their peer no longer qualifies, tagged <c>mtls.peer.role</c>,
    /// <c>mtls.close.reason</c> (<c>trust_changed</c> or <c>certificate_expired</c>) and <c>error.type</c>.
    /// </summary>
    public const string ConnectionsClosedInstrument = "mtls.connections.closed";

    /// <summary>
    /// Counter of requests of an accepted mutual TLS peer refused (403) by a peer requirement, tagged
    /// <c>mtls.authorization.policy</c> (the endpoint's policy name, or what the requirement allows when the policy has
    /// no name); never tagged by peer. Every refusal is counted; its log event (304) is rate-limited.
    /// </summary>
    public const string AuthorizationDeniedInstrument = "mtls.authorization.denied";

    /// <summary>
    /// Observable gauge of seconds since each loaded CRL's <c>thisUpdate</c> (<c>TrustedCa:Crls</c>), tagged
    /// <c>mtls.source.name</c> and <c>mtls.crl.issuer</c>. Its time to <c>nextUpdate</c> is <see cref="TimeToExpiryInstrument"/>
    /// with <c>mtls.certificate.kind</c> <c>crl</c>.
    /// </summary>
    public const string CrlAgeInstrument = "mtls.crl.age";
}
