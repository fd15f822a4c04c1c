namespace Mtls.Extensions.AspNetCore;

/// <summary>The mutual TLS server: our certificate, the pinned CAs and who may connect. Bound from <c>Mtls:Server</c>.</summary>
public sealed class MutualTlsOptions
{
    /// <summary>Gets or sets the server certificate source.</summary>
    /// <value>The default configures nothing (a start-up error).</value>
    public CertificateSourceOptions Certificate { get; set; } = new();

    /// <summary>Gets or sets the pinned CAs that client certificates must chain to. When unset and the certificate comes from a folder layout, the layout's CA file is used.</summary>
    /// <value>The default configures nothing.</value>
    public TrustedCaOptions TrustedCa { get; set; } = new();

    /// <summary>
    /// Gets or sets the allowed peers, enforced during the handshake: each an exact SPIFFE ID, a trust domain
    /// (<c>spiffe://example.org</c>), a path prefix (<c>spiffe://example.org/ns/prod/*</c>), a DNS name or an IP address.
    /// </summary>
    /// <value>The default is empty: any peer that chains to a pinned CA.</value>
    public IList<string> AllowedPeers { get; set; } = [];

    /// <summary>Gets or sets whether the handshake demands a valid client certificate.</summary>
    /// <value>The default is <see cref="MtlsClientCertificateMode.Require"/>.</value>
    public MtlsClientCertificateMode ClientCertificateMode { get; set; } = MtlsClientCertificateMode.Require;

    /// <summary>Gets or sets a value indicating whether client certificates without any EKU are accepted.</summary>
    /// <value>The default is <see langword="false"/> (clientAuth required).</value>
    public bool AllowMissingExtendedKeyUsage { get; set; }

    /// <summary>Gets or sets a value indicating whether every client must carry a SPIFFE ID.</summary>
    /// <value>The default is <see langword="false"/> (implied by SPIFFE entries in <see cref="AllowedPeers"/>).</value>
    public bool RequireSpiffeId { get; set; }

    /// <summary>Gets or sets the maximum number of CA certificates above the client's leaf, the anchor included.</summary>
    /// <value>The default is 4.</value>
    public int MaxChainDepth { get; set; } = 4;

    /// <summary>
    /// Gets or sets whether clients may resume TLS sessions. <see cref="MtlsResumption.Enabled"/>: a resumed session is
    /// accepted exactly when a full handshake with that client would be now (its chain judged against the current trust,
    /// time and <see cref="AllowedPeers"/>). <see cref="MtlsResumption.Disabled"/>: no tickets or session ids are issued.
    /// </summary>
    /// <value>The default is <see cref="MtlsResumption.Enabled"/>.</value>
    public MtlsResumption Resumption { get; set; } = MtlsResumption.Enabled;

    /// <summary>Gets or sets how certificate and CA files are watched and reloaded.</summary>
    /// <value>Watching on, polling every minute.</value>
    public MtlsReloadOptions Reload { get; set; } = new();

    /// <summary>
    /// Gets or sets a value indicating whether the app may start when all its endpoints are plain <c>http://</c>
    /// (TLS terminated in front of it). An app with at least one https endpoint may always add plain ones, for
    /// example a separate health-probe port.
    /// </summary>
    /// <value>The default is <see langword="false"/>: an app whose only endpoints are http:// fails to start, naming them.</value>
    public bool AllowPlainHttpEndpoints { get; set; }

    /// <summary>Gets or sets the configuration path these options were bound from, used in error messages.</summary>
    /// <value>The default is <c>Mtls:Server</c>.</value>
    public string ConfigurationPath { get; set; } = MutualTlsDefaults.ConfigurationSection;
}
