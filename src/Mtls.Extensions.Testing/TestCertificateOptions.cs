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
