namespace Mtls.Extensions;

/// <summary>
/// The strictness of the peer certificate check of one endpoint (<c>Mtls:Server:Validation</c>,
/// <c>Mtls:Clients:{name}:Validation</c>): the profile, and each rule that can be relaxed or bound. The same names in
/// configuration and in code; a rejection that one of them would relax names it by its configuration key.
/// </summary>
public sealed class MtlsValidationOptions
{
    /// <summary>Gets or sets the rules the peer's path is judged by (<c>Validation:Profile</c>).</summary>
    /// <value>The default is <see cref="MtlsValidationProfile.Rfc5280"/>: the common name is never a reason to refuse.</value>
    public MtlsValidationProfile Profile { get; set; } = MtlsValidationProfile.Rfc5280;

    /// <summary>
    /// Gets or sets a value indicating whether certificates without key identifiers are accepted: a CA without a
    /// subjectKeyIdentifier, or a certificate that is not self-signed without authorityKeyIdentifier.keyIdentifier
    /// (RFC 5280 §4.2.1.1-2; <c>Validation:AllowMissingKeyIdentifiers</c>).
    /// </summary>
    /// <value>The default is <see langword="false"/>.</value>
    public bool AllowMissingKeyIdentifiers { get; set; }

    /// <summary>
    /// Gets or sets a value indicating whether, under <see cref="MtlsValidationProfile.WebPki"/>, a server certificate may
    /// carry a common name that is not one of its SANs (CA/B BR §7.1.4.3; <c>Validation:AllowCommonNameNotInSubjectAltNames</c>).
    /// The <see cref="MtlsValidationProfile.Rfc5280"/> profile never looks at the common name.
    /// </summary>
    /// <value>The default is <see langword="false"/>.</value>
    public bool AllowCommonNameNotInSubjectAltNames { get; set; }

    /// <summary>Gets or sets the smallest RSA key accepted, in bits (<c>Validation:MinimumRsaKeySize</c>, 1024 to 16384).</summary>
    /// <value>The default is 2048.</value>
    [MtlsRange(1024, 16384)]
    public int MinimumRsaKeySize { get; set; } = 2048;

    /// <summary>Gets or sets how many complete candidate paths are judged before giving up (<c>Validation:MaxCandidatePaths</c>, 1 to 64).</summary>
    /// <value>The default is 8.</value>
    [MtlsRange(1, 64)]
    public int MaxCandidatePaths { get; set; } = 8;

    /// <summary>Gets or sets how many signatures path building may verify for one peer certificate (<c>Validation:MaxSignatureVerifications</c>, 1 to 256).</summary>
    /// <value>The default is 16.</value>
    [MtlsRange(1, 256)]
    public int MaxSignatureVerifications { get; set; } = 16;

    /// <summary>Gets or sets how many certificates the peer may send besides its leaf (<c>Validation:MaxPeerIntermediates</c>, 0 to 64).</summary>
    /// <value>The default is 16.</value>
    [MtlsRange(0, 64)]
    public int MaxPeerIntermediates { get; set; } = 16;
}
