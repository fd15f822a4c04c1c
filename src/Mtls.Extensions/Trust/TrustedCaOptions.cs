namespace Mtls.Extensions;

/// <summary>Where the pinned CA certificates (the only trust anchors) come from.</summary>
public sealed class TrustedCaOptions
{
    /// <summary>Gets or sets a PEM bundle or DER file of one or more CA certificates (roots or intermediates).</summary>
    /// <value>The default is <see langword="null"/>.</value>
    public string? Path { get; set; }

    /// <summary>Gets or sets inline PEM with one or more CA certificates.</summary>
    /// <value>The default is <see langword="null"/>.</value>
    public string? Pem { get; set; }

    /// <summary>Gets or sets the largest trust bundle file that is read; a larger one is refused (at start-up) or ignored (at run time, keeping the last good bundle).</summary>
    /// <value>The default is 1 MiB; 1024 bytes to 256 MiB.</value>
    [MtlsRange(1024L, 268_435_456L, ErrorMessage = "{0}: {1} is out of range; use {2} to {3} bytes.")]
    public long MaxFileSize { get; set; } = Internal.FileReader.DefaultMaxFileSize;

    /// <summary>
    /// Gets or sets a value indicating whether the bundle may pin publicly trusted root CAs (the operating system's CA
    /// file, or roots found in the operating system's store), which makes any certificate a public CA issued a valid peer.
    /// </summary>
    /// <value>The default is <see langword="false"/>: such a bundle stops start-up, naming the file and the count.</value>
    public bool AcceptPeersIssuedByPublicCas { get; set; }

    /// <summary>
    /// Gets the CA certificates of each SPIFFE trust domain (federation), keyed by trust domain name
    /// (<c>TrustedCa:Bundles:example.org:Path</c>). A peer with a SPIFFE ID is then validated only against
    /// its own trust domain's bundle; <see cref="Path"/>/<see cref="Pem"/>, if set, serve peers without one.
    /// </summary>
    /// <value>The default is empty.</value>
    public IDictionary<string, TrustDomainBundleOptions> Bundles { get; } = new Dictionary<string, TrustDomainBundleOptions>(StringComparer.Ordinal);

    /// <summary>
    /// Gets or sets a watched folder of <c>&lt;trust-domain&gt;.spiffe-trust-bundle.pem</c> files (SPIFFE
    /// Filesystem Delivery), one per trust domain, used like <see cref="Bundles"/>.
    /// </summary>
    /// <value>The default is <see langword="null"/>.</value>
    public string? BundlesDirectory { get; set; }

    /// <summary>
    /// Gets or sets the CRL files of the pinned CAs (<c>TrustedCa:Crls:Path</c> or <c>TrustedCa:Crls:Directory</c>), checked
    /// as <c>Revocation:*</c> configures; never downloaded.
    /// </summary>
    /// <value>The default configures no CRL.</value>
    public CrlFileOptions Crls { get; set; } = new();

    /// <summary>
    /// Gets or sets the local SPIFFE trust domain (<c>example.org</c>) for a combined bundle: an anchor of <see cref="Path"/>,
    /// <see cref="Pem"/> or a layout folder's CA file without a <c>spiffe://</c> URI SAN of its own belongs to it. Needed only
    /// when the bundle mixes anchors with and without such a SAN and the workload's own certificate has no SPIFFE ID.
    /// </summary>
    /// <value>The default is <see langword="null"/>: the trust domain of the workload's own SPIFFE ID.</value>
    public string? TrustDomain { get; set; }

    /// <summary>Gets a value indicating whether per-trust-domain bundles are configured.</summary>
    /// <value><see langword="true"/> when <see cref="Bundles"/> has an entry or <see cref="BundlesDirectory"/> is set.</value>
    internal bool HasTrustDomainBundles => Bundles.Count > 0 || !string.IsNullOrWhiteSpace(BundlesDirectory);

    /// <summary>Gets a value indicating whether a bundle is configured.</summary>
    /// <value><see langword="true"/> when <see cref="Path"/>, <see cref="Pem"/>, <see cref="Bundles"/> or <see cref="BundlesDirectory"/> is set.</value>
    public bool IsConfigured => !string.IsNullOrWhiteSpace(Path) || !string.IsNullOrWhiteSpace(Pem) || HasTrustDomainBundles;
}
