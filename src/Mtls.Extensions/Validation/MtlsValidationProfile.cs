namespace Mtls.Extensions;

/// <summary>Which set of rules a peer's certificate path is judged by (<c>Validation:Profile</c>).</summary>
public enum MtlsValidationProfile
{
    /// <summary>
    /// RFC 5280 path validation plus the safety rules that protect this library's users: key strength, the EKU of the
    /// peer's role, a leaf that is not a CA, name constraints, SAN syntax and bounded path building. The common name is
    /// ignored entirely: never an identity, never a reason to refuse. The default, for private PKIs.
    /// </summary>
    Rfc5280 = 0,

    /// <summary>
    /// <see cref="Rfc5280"/> plus the CA/Browser Forum Baseline Requirements rules for publicly trusted certificates: a
    /// common name, when present, is a character-for-character copy of one SAN (IP addresses in canonical text, RFC 5952
    /// for IPv6); a root carries no extended key usage; a leaf's extended key usage is not critical and does not contain
    /// anyExtendedKeyUsage; a root's authorityKeyIdentifier, when present, carries a keyIdentifier; a CA's
    /// authorityKeyIdentifier carries no issuer and serial. For a client calling a public mTLS API whose server
    /// certificate comes from a public CA.
    /// </summary>
    WebPki = 1,
}
