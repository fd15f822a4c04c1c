namespace Mtls.Extensions.AspNetCore;

/// <summary>
/// One proxy that may forward client certificates (an entry of <c>Mtls:Server:Forwarding:Proxies</c>): who it is
/// (<see cref="Peer"/>, <see cref="Network"/>, or both, which must then both match) and how it forwards.
/// </summary>
public sealed class MtlsForwardingProxy
{
    /// <summary>
    /// Gets or sets the identity of a proxy that connects with its own client certificate, as in AllowedPeers: an exact
    /// SPIFFE ID, a trust domain, a path prefix, a DNS name or an IP address SAN, matched by the one identity matcher.
    /// </summary>
    /// <value>The default is <see langword="null"/>: any peer (then <see cref="Network"/> is required).</value>
    public string? Peer { get; set; }

    /// <summary>Gets or sets the network the proxy connects from, in CIDR notation (<c>127.0.0.1/32</c>, <c>10.0.0.0/8</c>, <c>::1/128</c>).</summary>
    /// <value>The default is <see langword="null"/>: any address (then <see cref="Peer"/> is required).</value>
    public string? Network { get; set; }

    /// <summary>Gets or sets how the proxy forwards the client certificate. Required.</summary>
    /// <value>The default is <see langword="null"/>, a start-up error.</value>
    public MtlsForwardedCertificateFormat? Format { get; set; }

    /// <summary>
    /// Gets or sets the header the proxy writes, for formats whose header the proxy's configuration chooses
    /// (<see cref="MtlsForwardedCertificateFormat.Nginx"/>, <see cref="MtlsForwardedCertificateFormat.Haproxy"/>,
    /// <see cref="MtlsForwardedCertificateFormat.Envoy"/>, <see cref="MtlsForwardedCertificateFormat.AzureArr"/>).
    /// </summary>
    /// <value>The default is <see langword="null"/>: the format's usual header.</value>
    public string? Header { get; set; }
}
