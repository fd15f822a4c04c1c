namespace Mtls.Extensions;

/// <summary>How strictly peer certificates are judged, beyond chaining to a pinned CA.</summary>
public sealed class PeerValidationOptions
{
    /// <summary>Gets or sets the rules the peer's path is judged by.</summary>
    /// <value>The default is <see cref="MtlsValidationProfile.Rfc5280"/>: the common name is never a reason to refuse.</value>
    public MtlsValidationProfile Profile { get; set; } = MtlsValidationProfile.Rfc5280;

    /// <summary>Gets or sets a value indicating whether a leaf without any extended key usage is accepted.</summary>
    /// <value>The default is <see langword="false"/>: the leaf must carry clientAuth (client) or serverAuth (server).</value>
    public bool AllowMissingExtendedKeyUsage { get; set; }

    /// <summary>
    /// Gets or sets the maximum number of CA certificates in the verified path above the leaf, the anchor included.
    /// Self-issued intermediates (a CA's key rollover certificates, RFC 5280 §6.1) are not counted.
    /// </summary>
    /// <value>The default is 4 (a pinned root and up to three intermediates below it; the leaf is not counted).</value>
    public int MaxChainDepth { get; set; } = 4;

    /// <summary>Gets or sets the smallest RSA key accepted below the anchor, in bits.</summary>
    /// <value>The default is 2048.</value>
    public int MinimumRsaKeySize { get; set; } = 2048;

    /// <summary>Gets or sets a value indicating whether the peer must carry a SPIFFE ID (exactly one URI SAN, a valid SPIFFE ID).</summary>
    /// <value>The default is <see langword="false"/>; it is implied when <see cref="AllowedPeers"/> holds a SPIFFE pattern.</value>
    public bool RequireSpiffeId { get; set; }

    /// <summary>Gets the allowed peer identities. Empty means any peer that chains to a pinned CA.</summary>
    /// <value>The default is empty.</value>
    public IList<PeerIdentityPattern> AllowedPeers { get; } = [];

    /// <summary>
    /// Gets or sets a value indicating whether certificates without key identifiers are accepted: a CA without a
    /// subjectKeyIdentifier, or a certificate that is not self-signed without an authorityKeyIdentifier carrying a
    /// keyIdentifier (RFC 5280 §4.2.1.1-2). Private CAs built with .NET's <c>CertificateRequest</c> often omit them.
    /// </summary>
    /// <value>The default is <see langword="false"/>: such certificates are rejected with <see cref="MtlsRejectionReason.MissingKeyIdentifier"/>.</value>
    public bool AllowMissingKeyIdentifiers { get; set; }

    /// <summary>
    /// Gets or sets a value indicating whether, under <see cref="MtlsValidationProfile.WebPki"/>, a server certificate may
    /// carry a common name that is not among its SANs (CA/B BR §7.1.4.3). The CN is never used as an identity either way,
    /// and the <see cref="MtlsValidationProfile.Rfc5280"/> profile never looks at it.
    /// </summary>
    /// <value>The default is <see langword="false"/>: under WebPki, rejected with <see cref="MtlsRejectionReason.CommonNameNotInSubjectAltNames"/>.</value>
    public bool AllowCommonNameNotInSubjectAltNames { get; set; }

    /// <summary>Gets or sets how many complete candidate paths (leaf to a pinned anchor) are judged before giving up.</summary>
    /// <value>The default is 8; more is <see cref="MtlsRejectionReason.PathBuildingLimitExceeded"/>.</value>
    public int MaxCandidatePaths { get; set; } = 8;

    /// <summary>Gets or sets how many signatures path building may verify for one peer certificate (cached ones are free).</summary>
    /// <value>The default is 16; more is <see cref="MtlsRejectionReason.PathBuildingLimitExceeded"/>.</value>
    public int MaxSignatureVerifications { get; set; } = 16;

    /// <summary>Gets or sets how many certificates the peer may send besides its leaf.</summary>
    /// <value>The default is 16; more is <see cref="MtlsRejectionReason.PathBuildingLimitExceeded"/>.</value>
    public int MaxPeerIntermediates { get; set; } = 16;

    /// <summary>Gets or sets the revocation data (denylist, CRLs) checked by the validator's revocation step.</summary>
    internal Internal.RevocationPolicy Revocation { get; set; } = Internal.RevocationPolicy.None;

    /// <summary>
    /// Gets or sets the configuration section these options were mapped from (<c>Mtls:Clients:inventory</c>), so that a
    /// rejection names the option that relaxes it by the key that sets it; <see langword="null"/> when set in code only.
    /// </summary>
    internal string? ConfigurationPath { get; set; }

    /// <summary>The key of an option of the <c>Validation</c> section: <c>Mtls:Server:Validation:AllowMissingKeyIdentifiers</c>.</summary>
    internal string ValidationKey(string option) =>
        string.IsNullOrEmpty(ConfigurationPath) ? $"{nameof(PeerValidationOptions)}.{option}" : $"{ConfigurationPath}:Validation:{option}";

    /// <summary>The key of an option of the endpoint itself: <c>Mtls:Server:MaxChainDepth</c>.</summary>
    internal string EndpointKey(string option) =>
        string.IsNullOrEmpty(ConfigurationPath) ? $"{nameof(PeerValidationOptions)}.{option}" : $"{ConfigurationPath}:{option}";

    internal bool SpiffeRequired
    {
        get
        {
            if (RequireSpiffeId)
            {
                return true;
            }

            foreach (var pattern in AllowedPeers)
            {
                if (pattern.Kind is PeerIdentityPatternKind.SpiffeId or PeerIdentityPatternKind.TrustDomain or PeerIdentityPatternKind.SpiffeIdPathPrefix)
                {
                    return true;
                }
            }

            return false;
        }
    }
}
