namespace Mtls.Extensions;

/// <summary>
/// Why a peer certificate was rejected. The names are stable: they appear in logs, metrics
/// (<c>error.type</c>) and exceptions.
/// </summary>
public enum MtlsRejectionReason
{
    /// <summary>The certificate was accepted.</summary>
    None = 0,

    /// <summary>The peer presented no certificate.</summary>
    NoCertificate,

    /// <summary>The certificate could not be parsed, or chain building threw on it.</summary>
    MalformedCertificate,

    /// <summary>The chain ends at a CA that is not pinned (including a rogue CA that only shares a pinned CA's name).</summary>
    UntrustedRoot,

    /// <summary>No path to a pinned CA could be built: an intermediate is missing (the peer must send it).</summary>
    PartialChain,

    /// <summary>The leaf is self-signed and not a pinned CA.</summary>
    SelfSigned,

    /// <summary>A signature in the chain does not verify.</summary>
    InvalidSignature,

    /// <summary>A certificate in the chain has expired.</summary>
    Expired,

    /// <summary>A certificate in the chain is not valid yet.</summary>
    NotYetValid,

    /// <summary>The leaf (or an intermediate's EKU constraint) does not allow the role: clientAuth for clients, serverAuth for servers.</summary>
    WrongUsage,

    /// <summary>The leaf carries no extended key usage and the options require one.</summary>
    MissingExtendedKeyUsage,

    /// <summary>The key usage extension is present but does not allow digitalSignature.</summary>
    KeyUsageNotAllowed,

    /// <summary>The leaf is a CA certificate.</summary>
    LeafIsCa,

    /// <summary>An intermediate in the chain is not a CA certificate.</summary>
    IntermediateNotCa,

    /// <summary>A CA's path length constraint is exceeded.</summary>
    PathLengthExceeded,

    /// <summary>A CA's name constraints exclude a name in the leaf.</summary>
    NameConstraintsViolated,

    /// <summary>The path to the anchor is longer than the configured maximum chain depth.</summary>
    ChainTooDeep,

    /// <summary>A key is too weak: RSA below 2048 bits, DSA, an EC curve below P-256, or an unsupported algorithm.</summary>
    WeakKey,

    /// <summary>A certificate below the anchor is signed with SHA-1 or MD5.</summary>
    WeakSignatureAlgorithm,

    /// <summary>A URI SAN claims to be a SPIFFE ID but breaks the SPIFFE ID rules.</summary>
    InvalidSpiffeId,

    /// <summary>A SPIFFE identity is required but the certificate has no URI SAN with a SPIFFE ID.</summary>
    MissingSpiffeId,

    /// <summary>A SPIFFE identity is required but the certificate has more than one URI SAN, so it has no SPIFFE ID.</summary>
    MultipleUriSans,

    /// <summary>The certificate is valid but its identity is not among the allowed peers.</summary>
    IdentityNotAllowed,

    /// <summary>The server certificate does not carry the host name the client connected to (DNS or IP SAN; never the CN).</summary>
    NameMismatch,

    /// <summary>A certificate in the chain is revoked: listed in its issuer's CRL or denied by <c>Revocation:Deny</c>/<c>DenyPath</c>.</summary>
    Revoked,

    /// <summary>The chain is invalid for a reason not listed above; the message names the chain status.</summary>
    ChainError,

    /// <summary>The remote side rejected our certificate during the handshake (seen from the client).</summary>
    RejectedByPeer,

    /// <summary>A key uses an algorithm the platform's TLS stack cannot use (Ed25519, Ed448, an unnamed or unknown EC curve, an unknown algorithm).</summary>
    UnsupportedKeyAlgorithm,

    /// <summary>Path building hit its bound (candidate paths judged, signatures verified, or certificates sent) before finding a valid path.</summary>
    PathBuildingLimitExceeded,

    /// <summary>Basic constraints are malformed for their use: not critical in a CA certificate, or a path length without CA=true (RFC 5280 §4.2.1.9).</summary>
    InvalidBasicConstraints,

    /// <summary>A key identifier is missing: a CA without subjectKeyIdentifier, or a certificate that is not self-signed without authorityKeyIdentifier.keyIdentifier (RFC 5280 §4.2.1.1-2); relaxed by <c>AllowMissingKeyIdentifiers</c>.</summary>
    MissingKeyIdentifier,

    /// <summary>A key identifier is wrong: marked critical, a CA's authorityKeyIdentifier with issuer and serial, or a self-signed certificate whose AKI differs from its SKI.</summary>
    InvalidKeyIdentifier,

    /// <summary>A subject breaks the profile: a CA with an empty subject, or subjectAltName criticality that does not match an empty subject (RFC 5280 §4.2.1.6).</summary>
    InvalidSubjectName,

    /// <summary>A serial number is zero, negative or longer than 20 octets (RFC 5280 §4.1.2.2).</summary>
    InvalidSerialNumber,

    /// <summary>An extension does not decode as its RFC 5280 syntax (for example a malformed authorityInfoAccess or empty name-constraint subtrees).</summary>
    MalformedExtension,

    /// <summary>A certificate carries the same extension twice (RFC 5280 §4.2).</summary>
    DuplicateExtension,

    /// <summary>A certificate carries a critical extension the validator does not process (RFC 5280 §4.2).</summary>
    UnrecognizedCriticalExtension,

    /// <summary>A DNS SAN is not in preferred name syntax, or has a wildcard other than a whole leftmost label above at least two labels.</summary>
    InvalidDnsName,

    /// <summary>A server certificate matched by host name has a common name that is not among its SANs (CA/B BR §7.1.4.3); relaxed by <c>AllowCommonNameNotInSubjectAltNames</c>.</summary>
    CommonNameNotInSubjectAltNames,

    /// <summary>Name constraints are malformed or unusable, or appear in an end-entity certificate (RFC 5280 §4.2.1.10).</summary>
    InvalidNameConstraints,

    /// <summary>
    /// The TLS handshake failed before the peer's certificate could be judged: the TLS stack refused what the peer
    /// sent (for example a certificate message above its size limit, or a certificate that does not parse), or the
    /// peer gave up mid-handshake.
    /// </summary>
    HandshakeFailed,

    /// <summary>Name-constraint evaluation would exceed its work budget (names × subtrees along the path); the path is refused without it.</summary>
    NameConstraintsTooComplex,

    /// <summary>
    /// A certificate's revocation status cannot be known: its issuer's CRL is past <c>nextUpdate</c> plus
    /// <c>Revocation:CrlGracePeriod</c> or not valid yet, its signature does not verify, or there is none and
    /// <c>Revocation:RequireCrl</c> is set. Nothing says the certificate is revoked; the CRL needs fixing, not the peer.
    /// </summary>
    RevocationUnknown,
}
