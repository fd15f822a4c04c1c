namespace Mtls.Extensions;

/// <summary>
/// How revoked peers are refused without any network access (<c>Revocation:*</c>): a denylist kill switch from
/// configuration (<see cref="Deny"/>) and from a watched file (<see cref="DenyPath"/>), and how the CRL files under
/// <c>TrustedCa:Crls</c> are applied. A change takes effect at once: open connections of a now-revoked peer end,
/// resumed sessions are judged again, cached verdicts are dropped.
/// </summary>
public sealed class MtlsRevocationOptions
{
    /// <summary>
    /// Gets or sets the denied peers (<c>Revocation:Deny</c>), each <c>sha256:&lt;hex of the certificate's DER&gt;</c>,
    /// <c>spki-sha256:&lt;hex of its SubjectPublicKeyInfo&gt;</c>, <c>serial:&lt;hex&gt;</c> (optionally followed by
    /// <c>;issuer:&lt;distinguished name&gt;</c>), or a SPIFFE ID (<c>spiffe://example.org/ns/prod/sa/orders</c>).
    /// Reloaded with the configuration.
    /// </summary>
    /// <value>The default is empty.</value>
    public IList<string> Deny { get; set; } = [];

    /// <summary>Gets or sets a watched file with one denylist entry per line (<c>#</c> starts a comment) (<c>Revocation:DenyPath</c>).</summary>
    /// <value>The default is <see langword="null"/>.</value>
    public string? DenyPath { get; set; }

    /// <summary>
    /// Gets or sets a value indicating whether every certificate of the peer's path below the anchor is checked against the
    /// CRLs (<c>Revocation:CheckWholePath</c>), not only the leaf. The denylist always covers the leaf only.
    /// </summary>
    /// <value>The default is <see langword="false"/>: the leaf only.</value>
    public bool CheckWholePath { get; set; }

    /// <summary>
    /// Gets or sets how long past its <c>nextUpdate</c> a CRL is still used (<c>Revocation:CrlGracePeriod</c>).
    /// </summary>
    /// <value>The default is zero; zero to 30 days.</value>
    [MtlsRange("00:00:00", "30.00:00:00")]
    public TimeSpan CrlGracePeriod { get; set; }

    /// <summary>
    /// Gets or sets a value indicating whether a peer is accepted when its issuer's CRL is past <c>nextUpdate</c> plus
    /// <see cref="CrlGracePeriod"/> (<c>Revocation:AllowStaleCrl</c>): fail open. Certificates the stale CRL lists stay refused.
    /// </summary>
    /// <value>The default is <see langword="false"/>: fail closed, the peer is refused with <see cref="MtlsRejectionReason.RevocationUnknown"/>.</value>
    public bool AllowStaleCrl { get; set; }

    /// <summary>
    /// Gets or sets a value indicating whether a peer whose issuer has no CRL in <c>TrustedCa:Crls</c> is refused
    /// (<c>Revocation:RequireCrl</c>). Only meaningful with CRL files configured.
    /// </summary>
    /// <value>The default is <see langword="false"/>: an issuer without a CRL is not checked against one.</value>
    public bool RequireCrl { get; set; }
}
