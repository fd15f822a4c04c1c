using Microsoft.Extensions.Options;

namespace Mtls.Extensions;

/// <summary>
/// What a mutual TLS endpoint configures whichever side it is on, the server (<c>MutualTlsOptions</c>, <c>Mtls:Server</c>)
/// or a client (<c>MtlsHttpClientOptions</c>, <c>Mtls:Clients:{name}</c>): its own certificate, the CAs its peer must chain
/// to, how both are reloaded, and how strict the check of the peer's chain is. Range rules are DataAnnotations, checked
/// on start by each side's source-generated validator.
/// </summary>
public abstract class MtlsEndpointOptions
{
    /// <summary>Gets or sets where this endpoint's certificate and its private key come from (<c>Certificate:*</c>).</summary>
    /// <value>The default configures nothing (a start-up error).</value>
    [ValidateObjectMembers]
    public CertificateSourceOptions Certificate { get; set; } = new();

    /// <summary>
    /// Gets or sets the pinned CAs the peer's certificate must chain to (<c>TrustedCa:*</c>). Never the operating system's
    /// store. When unset and the certificate comes from a folder layout or the Workload API, its CA bundle is used.
    /// </summary>
    /// <value>The default configures nothing.</value>
    [ValidateObjectMembers]
    public TrustedCaOptions TrustedCa { get; set; } = new();

    /// <summary>Gets or sets how certificate and CA files are watched and reloaded (<c>Reload:*</c>).</summary>
    /// <value>Watching on, polling every minute.</value>
    [ValidateObjectMembers]
    public MtlsReloadOptions Reload { get; set; } = new();

    /// <summary>
    /// Gets or sets how revoked peers are refused without network access (<c>Revocation:*</c>): the denylist kill switch
    /// and how the CRL files under <c>TrustedCa:Crls</c> are applied.
    /// </summary>
    /// <value>The default denies nothing.</value>
    [ValidateObjectMembers]
    public MtlsRevocationOptions Revocation { get; set; } = new();

    /// <summary>
    /// Gets or sets the maximum number of CA certificates above the peer's leaf, the anchor included; self-issued
    /// intermediates are not counted (<c>MaxChainDepth</c>, 1 to 16).
    /// </summary>
    /// <value>The default is 4.</value>
    [MtlsRange(1, 16)]
    public int MaxChainDepth { get; set; } = 4;

    /// <summary>
    /// Gets or sets a value indicating whether peer certificates without an extended key usage extension are accepted
    /// (<c>AllowMissingExtendedKeyUsage</c>). With one, it must name the peer's role (clientAuth or serverAuth).
    /// </summary>
    /// <value>The default is <see langword="false"/>: the peer's certificate must carry the EKU of its role.</value>
    public bool AllowMissingExtendedKeyUsage { get; set; }

    /// <summary>
    /// Gets or sets the profile and the strictness of the peer certificate check (<c>Validation:*</c>): every rule that
    /// can be relaxed or bound, under the names a rejection sentence cites.
    /// </summary>
    /// <value>The <see cref="MtlsValidationProfile.Rfc5280"/> profile with every rule on.</value>
    [ValidateObjectMembers]
    public MtlsValidationOptions Validation { get; set; } = new();

    /// <summary>
    /// Gets or sets whether TLS sessions with the peer are resumed (<c>Resumption</c>). A resumed session is accepted exactly
    /// when a full handshake with that peer would be now: its chain from the full handshake is judged against the current
    /// trust, time and allowed identities. <see cref="MtlsResumption.Disabled"/> makes every connection a full handshake.
    /// </summary>
    /// <value>The default is <see cref="MtlsResumption.Enabled"/>.</value>
    public MtlsResumption Resumption { get; set; } = MtlsResumption.Enabled;
}
