using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Mtls.Extensions.Testing;

/// <summary>
/// Everything about a test certificate that a test may want to get right, or deliberately wrong.
/// Unset values get sensible defaults for the kind of certificate (root, intermediate, leaf).
/// </summary>
public sealed class TestCertificateOptions
{
    /// <summary>Gets or sets the key algorithm.</summary>
    /// <value>The default is <see cref="TestKeyAlgorithm.EcdsaP256"/>.</value>
    public TestKeyAlgorithm KeyAlgorithm { get; set; } = TestKeyAlgorithm.EcdsaP256;

    /// <summary>Gets or sets the hash of the issuer's signature (SHA-1 is allowed, for rejection tests).</summary>
    /// <value>The default is SHA-256.</value>
    public HashAlgorithmName SignatureHash { get; set; } = HashAlgorithmName.SHA256;

    /// <summary>Gets or sets the full subject distinguished name; defaults to <c>CN={name}</c>.</summary>
    /// <value>The default is <see langword="null"/>.</value>
    public string? Subject { get; set; }

    /// <summary>Gets or sets the start of validity; defaults to five minutes before the PKI's current time.</summary>
    /// <value>The default is <see langword="null"/>.</value>
    public DateTimeOffset? NotBefore { get; set; }

    /// <summary>Gets or sets the end of validity; defaults to one day (leaves) or one year (CAs) after the current time.</summary>
    /// <value>The default is <see langword="null"/>.</value>
    public DateTimeOffset? NotAfter { get; set; }

    /// <summary>Gets the DNS SANs.</summary>
    /// <value>Empty by default.</value>
    public IList<string> DnsNames { get; } = [];

    /// <summary>Gets the IP SANs.</summary>
    /// <value>Empty by default.</value>
    public IList<IPAddress> IpAddresses { get; } = [];

    /// <summary>Gets the URI SANs (SPIFFE IDs are URI SANs).</summary>
    /// <value>Empty by default.</value>
    public IList<string> Uris { get; } = [];

    /// <summary>Gets the email SANs.</summary>
    /// <value>Empty by default.</value>
    public IList<string> Emails { get; } = [];

    /// <summary>Gets or sets the extended key usage OIDs; <see langword="null"/> for the default (leaves: clientAuth and serverAuth; CAs: none); empty to omit the extension.</summary>
    /// <value>The default is <see langword="null"/>.</value>
    public IList<string>? ExtendedKeyUsages { get; set; }

    /// <summary>Gets or sets the key usage; <see langword="null"/> for the default; <see cref="X509KeyUsageFlags.None"/> to omit the extension.</summary>
    /// <value>The default is <see langword="null"/>.</value>
    public X509KeyUsageFlags? KeyUsage { get; set; }

    /// <summary>Gets or sets whether the certificate is a CA; <see langword="null"/> for the default of its kind.</summary>
    /// <value>The default is <see langword="null"/>.</value>
    public bool? IsCa { get; set; }

    /// <summary>Gets or sets the CA path length constraint.</summary>
    /// <value>The default is <see langword="null"/> (none).</value>
    public int? PathLength { get; set; }

    /// <summary>Gets or sets a value indicating whether the basic constraints extension is omitted.</summary>
    /// <value>The default is <see langword="false"/>.</value>
    public bool OmitBasicConstraints { get; set; }

    /// <summary>Gets the permitted DNS subtrees of a CA's name constraints.</summary>
    /// <value>Empty by default (no constraints).</value>
    public IList<string> PermittedDnsSubtrees { get; } = [];

    /// <summary>Gets the excluded DNS subtrees of a CA's name constraints.</summary>
    /// <value>Empty by default.</value>
    public IList<string> ExcludedDnsSubtrees { get; } = [];

    /// <summary>Gets or sets an Authority Information Access caIssuers URL.</summary>
    /// <value>The default is <see langword="null"/>.</value>
    public Uri? CaIssuersUrl { get; set; }

    /// <summary>Gets or sets whether basic constraints are marked critical.</summary>
    /// <value>The default is <see langword="true"/> (RFC 5280 §4.2.1.9); <see langword="false"/> for rejection tests.</value>
    public bool BasicConstraintsCritical { get; set; } = true;

    /// <summary>Gets or sets whether the subject alternative name extension is marked critical.</summary>
    /// <value>The default is <see langword="null"/>: critical exactly when the subject is empty (RFC 5280 §4.2.1.6).</value>
    public bool? SubjectAltNameCritical { get; set; }

    /// <summary>Gets or sets whether the name constraints extension is marked critical.</summary>
    /// <value>The default is <see langword="true"/>.</value>
    public bool NameConstraintsCritical { get; set; } = true;

    /// <summary>
    /// Gets the permitted subtrees of other name types, each written <c>type:value</c>: <c>dns:example.org</c>,
    /// <c>ip:10.0.0.0/8</c>, <c>uri:example.org</c> (a host) or <c>uri:.example.org</c> (a domain), <c>email:example.org</c>,
    /// <c>dn:O=Example, C=US</c>.
    /// </summary>
    /// <value>Empty by default.</value>
    public IList<string> PermittedSubtrees { get; } = [];

    /// <summary>Gets the excluded subtrees, written like <see cref="PermittedSubtrees"/>.</summary>
    /// <value>Empty by default.</value>
    public IList<string> ExcludedSubtrees { get; } = [];

    /// <summary>
    /// Gets extensions appended after the ones the PKI writes, as they are: a second copy of an extension (duplicates), an
    /// unknown critical extension, a malformed value. Combine with <see cref="OmitExtensions"/> to replace one.
    /// </summary>
    /// <value>Empty by default.</value>
    public IList<X509Extension> ExtraExtensions { get; } = [];

    /// <summary>Gets the OIDs of extensions the PKI would write that are left out (e.g. <c>2.5.29.14</c> subjectKeyIdentifier, <c>2.5.29.35</c> authorityKeyIdentifier).</summary>
    /// <value>Empty by default.</value>
    public ISet<string> OmitExtensions { get; } = new HashSet<string>(StringComparer.Ordinal);

    /// <summary>Gets or sets the serial number as the content octets of the DER INTEGER (two's complement, so <c>[0x00]</c> is zero and <c>[0xFF]</c> is -1).</summary>
    /// <value>The default is <see langword="null"/>: 16 random octets, positive.</value>
    public byte[]? SerialNumber { get; set; }

    /// <summary>
    /// Gets or sets a SubjectPublicKeyInfo to publish instead of the generated key's (see <see cref="TestPki.CreatePublicKeyInfo"/>):
    /// for keys the platform cannot create or use (RSA-PSS, Ed25519, Ed448, odd RSA sizes). The certificate then has no private key.
    /// </summary>
    /// <value>The default is <see langword="null"/>.</value>
    public byte[]? SubjectPublicKeyInfo { get; set; }

    /// <summary>Gets or sets whether the issuer signs with RSASSA-PSS instead of PKCS#1 v1.5 (RSA issuers only).</summary>
    /// <value>The default is <see langword="false"/>.</value>
    public bool SignWithRsaPss { get; set; }

    /// <summary>Gets or sets whether the authority key identifier also names the issuer and its serial number.</summary>
    /// <value>The default is <see langword="false"/> (CA/B BR: key identifier only).</value>
    public bool AuthorityKeyIdentifierWithIssuerAndSerial { get; set; }

    /// <summary>Adds DNS SANs.</summary>
    /// <param name="names">The names.</param>
    /// <returns>This instance.</returns>
    public TestCertificateOptions WithDnsNames(params string[] names)
    {
        ArgumentNullException.ThrowIfNull(names);
        foreach (var name in names)
        {
            DnsNames.Add(name);
        }

        return this;
    }

    /// <summary>Adds IP SANs.</summary>
    /// <param name="addresses">The addresses.</param>
    /// <returns>This instance.</returns>
    public TestCertificateOptions WithIpAddresses(params IPAddress[] addresses)
    {
        ArgumentNullException.ThrowIfNull(addresses);
        foreach (var address in addresses)
        {
            IpAddresses.Add(address);
        }

        return this;
    }

    /// <summary>Adds a URI SAN holding a SPIFFE ID (not validated, so that invalid IDs can be tested).</summary>
    /// <param name="spiffeId">The ID.</param>
    /// <returns>This instance.</returns>
    public TestCertificateOptions WithSpiffeId(string spiffeId)
    {
        ArgumentNullException.ThrowIfNull(spiffeId);
        Uris.Add(spiffeId);
        return this;
    }

    /// <summary>Sets the extended key usages to clientAuth only.</summary>
    /// <returns>This instance.</returns>
    public TestCertificateOptions ForClient()
    {
        ExtendedKeyUsages = [ClientAuth];
        return this;
    }

    /// <summary>Sets the extended key usages to serverAuth only.</summary>
    /// <returns>This instance.</returns>
    public TestCertificateOptions ForServer()
    {
        ExtendedKeyUsages = [ServerAuth];
        return this;
    }

    /// <summary>Omits the extended key usage extension.</summary>
    /// <returns>This instance.</returns>
    public TestCertificateOptions WithoutExtendedKeyUsage()
    {
        ExtendedKeyUsages = [];
        return this;
    }

    /// <summary>Sets the validity window.</summary>
    /// <param name="notBefore">The start.</param>
    /// <param name="notAfter">The end.</param>
    /// <returns>This instance.</returns>
    public TestCertificateOptions ValidBetween(DateTimeOffset notBefore, DateTimeOffset notAfter)
    {
        NotBefore = notBefore;
        NotAfter = notAfter;
        return this;
    }

    /// <summary>The clientAuth EKU OID.</summary>
    public const string ClientAuth = "1.3.6.1.5.5.7.3.2";

    /// <summary>The serverAuth EKU OID.</summary>
    public const string ServerAuth = "1.3.6.1.5.5.7.3.1";
}
