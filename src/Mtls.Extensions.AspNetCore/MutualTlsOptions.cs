namespace Mtls.Extensions.AspNetCore;

/// <summary>
/// The mutual TLS server: our certificate, the pinned CAs and who may connect. Bound from <c>Mtls:Server</c>. What a
/// client configures too (certificate, trusted CAs, reload, chain depth, EKU, resumption) is in <see cref="MtlsEndpointOptions"/>.
/// </summary>
public sealed class MutualTlsOptions : MtlsEndpointOptions
{
    /// <summary>
    /// Gets or sets the allowed peers, enforced during the handshake: each an exact SPIFFE ID, a trust domain
    /// (<c>spiffe://example.org</c>), a path prefix (<c>spiffe://example.org/ns/prod/*</c>), a DNS name or an IP address.
    /// </summary>
    /// <value>The default is empty: any peer that chains to a pinned CA.</value>
    [Internal.AllowedPeers]
    public IList<string> AllowedPeers { get; set; } = [];

    /// <summary>Gets or sets whether the handshake demands a valid client certificate.</summary>
    /// <value>The default is <see cref="MtlsClientCertificateMode.Require"/>.</value>
    public MtlsClientCertificateMode ClientCertificateMode { get; set; } = MtlsClientCertificateMode.Require;

    /// <summary>Gets or sets a value indicating whether every client must carry a SPIFFE ID.</summary>
    /// <value>The default is <see langword="false"/> (implied by SPIFFE entries in <see cref="AllowedPeers"/>).</value>
    public bool RequireSpiffeId { get; set; }

    /// <summary>
    /// Gets or sets a value indicating whether the app may start when all its endpoints are plain <c>http://</c>
    /// (TLS terminated in front of it). An app with at least one https endpoint may always add plain ones, for
    /// example a separate health-probe port.
    /// </summary>
    /// <value>The default is <see langword="false"/>: an app whose only endpoints are http:// fails to start, naming them.</value>
    public bool AllowPlainHttpEndpoints { get; set; }

    /// <summary>Gets or sets the proxies that may forward client certificates (<c>Forwarding:Proxies</c>).</summary>
    /// <value>The default is no proxy: forwarding headers are removed from every request.</value>
    public MtlsForwardingOptions Forwarding { get; set; } = new();

    /// <summary>
    /// The configuration path these options were bound from, named in every error message. Set by the
    /// library when it binds a section; internal, so that no configuration key can set it.
    /// </summary>
    /// <remarks>
    /// A field, not a property: the configuration binder counts every property, internal ones too, as a known key (and
    /// then skips it), so a <c>ConfigurationPath</c> key would be ignored silently; as a field it is an unknown key, a start-up error.
    /// </remarks>
    internal string ConfigurationPath = MutualTlsDefaults.ConfigurationSection;

    /// <summary>Whether the bound section had an <c>AllowedPeers</c> key at all (blank entries included): an empty list then is a mistake worth a warning.</summary>
    internal bool AllowedPeersConfigured;
}
