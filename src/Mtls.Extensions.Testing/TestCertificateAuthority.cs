using System.Security.Cryptography.X509Certificates;

namespace Mtls.Extensions.Testing;

/// <summary>A test CA (root or intermediate) that issues intermediates and leaves.</summary>
public sealed class TestCertificateAuthority : IDisposable
{
    private readonly TimeProvider _time;

    internal TestCertificateAuthority(X509Certificate2 certificate, TestCertificateAuthority? parent, TimeProvider time)
    {
        Certificate = certificate;
        Parent = parent;
        _time = time;
    }

    /// <summary>
    /// Wraps an existing CA certificate with its private key, e.g. a development CA kept on disk between runs
    /// (<c>X509Certificate2.CreateFromPemFile(cert, key)</c>).
    /// </summary>
    /// <param name="certificate">The CA certificate with its private key.</param>
    /// <param name="parent">The issuing CA, or <see langword="null"/> for a root.</param>
    /// <param name="timeProvider">The clock for validity periods; <see cref="TimeProvider.System"/> by default.</param>
    /// <returns>The CA.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="certificate"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The certificate has no private key or is not a CA.</exception>
    public static TestCertificateAuthority FromCertificate(X509Certificate2 certificate, TestCertificateAuthority? parent = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        if (!certificate.HasPrivateKey)
        {
            throw new ArgumentException($"The CA certificate {certificate.Subject} has no private key.", nameof(certificate));
        }

        if (certificate.Extensions.OfType<X509BasicConstraintsExtension>().FirstOrDefault() is not { CertificateAuthority: true })
        {
            throw new ArgumentException($"The certificate {certificate.Subject} is not a CA.", nameof(certificate));
        }

        return new TestCertificateAuthority(certificate, parent, timeProvider ?? TimeProvider.System);
    }

    /// <summary>Exports the CA's private key as PKCS#8 PEM (test and development material only).</summary>
    /// <returns>The PEM text.</returns>
    public string ExportKeyPem()
    {
        using System.Security.Cryptography.AsymmetricAlgorithm key = (System.Security.Cryptography.AsymmetricAlgorithm?)Certificate.GetECDsaPrivateKey() ?? Certificate.GetRSAPrivateKey()
            ?? throw new InvalidOperationException("The CA certificate has no exportable private key.");
        return key.ExportPkcs8PrivateKeyPem() + "\n";
    }

    /// <summary>Gets the CA certificate, with its private key.</summary>
    /// <value>Never <see langword="null"/>.</value>
    public X509Certificate2 Certificate { get; }

    /// <summary>Gets the issuing CA, or <see langword="null"/> for a root.</summary>
    /// <value>The parent.</value>
    public TestCertificateAuthority? Parent { get; }

    /// <summary>Gets the root of this CA's hierarchy.</summary>
    /// <value>This CA when it is a root.</value>
    public TestCertificateAuthority Root => Parent?.Root ?? this;

    /// <summary>Gets this CA's certificate and every issuer above it except the root, this one first.</summary>
    /// <value>Empty for a root.</value>
    public IReadOnlyList<X509Certificate2> IntermediatesToRoot
    {
        get
        {
            var list = new List<X509Certificate2>();
            for (var ca = this; ca.Parent is not null; ca = ca.Parent)
            {
                list.Add(ca.Certificate);
            }

            return list;
        }
    }

    /// <summary>Creates an intermediate CA under this CA.</summary>
    /// <param name="name">The CN.</param>
    /// <param name="configure">Adjusts the certificate (e.g. path length, name constraints, or <c>IsCa = false</c> for a bad one).</param>
    /// <returns>The intermediate, with its private key.</returns>
    public TestCertificateAuthority CreateIntermediate(string name, Action<TestCertificateOptions>? configure = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        var options = new TestCertificateOptions();
        configure?.Invoke(options);
        var (certificate, _) = CertificateFactory.Create(name, options, CertificateKind.Intermediate, this, _time);
        return new TestCertificateAuthority(certificate, this, _time);
    }

    /// <summary>
    /// Cross-signs another CA: issues a second certificate with <paramref name="ca"/>'s subject and key, signed by this CA,
    /// as during a CA migration. Certificates <paramref name="ca"/> issues chain through either version.
    /// </summary>
    /// <param name="ca">The CA to cross-sign.</param>
    /// <param name="configure">Adjusts the cross-certificate.</param>
    /// <returns>The cross-certified CA (same key as <paramref name="ca"/>), whose parent is this CA.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="ca"/> is <see langword="null"/>.</exception>
    public TestCertificateAuthority CrossSign(TestCertificateAuthority ca, Action<TestCertificateOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(ca);
        var options = new TestCertificateOptions();
        configure?.Invoke(options);
        System.Security.Cryptography.AsymmetricAlgorithm key = (System.Security.Cryptography.AsymmetricAlgorithm?)ca.Certificate.GetECDsaPrivateKey() ?? ca.Certificate.GetRSAPrivateKey()
            ?? throw new ArgumentException($"The CA {ca.Certificate.Subject} has no private key.", nameof(ca));
        var (certificate, _) = CertificateFactory.Create(ca.Certificate.Subject, options, CertificateKind.Intermediate, this, _time, key, ca.Certificate.SubjectName);
        return new TestCertificateAuthority(certificate, this, _time);
    }

    /// <summary>Issues an end-entity certificate (EKU clientAuth and serverAuth unless configured otherwise).</summary>
    /// <param name="name">The CN.</param>
    /// <param name="configure">Adjusts the certificate.</param>
    /// <returns>The leaf, with its private key and its chain.</returns>
    public TestCertificate IssueLeaf(string name, Action<TestCertificateOptions>? configure = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        var options = new TestCertificateOptions();
        configure?.Invoke(options);
        var (certificate, _) = CertificateFactory.Create(name, options, CertificateKind.Leaf, this, _time);
        return new TestCertificate(certificate, IntermediatesToRoot, Root.Certificate);
    }

    /// <summary>
    /// Issues a server certificate for the loopback interface: DNS <c>localhost</c>, IP 127.0.0.1 and ::1, EKU serverAuth.
    /// The CN is also a DNS SAN (CA/B BR §7.1.4.3: a CN must be one of the SANs).
    /// </summary>
    /// <param name="name">The CN, a DNS name.</param>
    /// <param name="spiffeId">An optional SPIFFE ID.</param>
    /// <returns>The leaf.</returns>
    public TestCertificate IssueLocalhostServer(string name = "localhost", string? spiffeId = null) => IssueLeaf(name, o =>
    {
        o.ForServer().WithDnsNames("localhost").WithIpAddresses(System.Net.IPAddress.Loopback, System.Net.IPAddress.IPv6Loopback);
        if (!string.Equals(name, "localhost", StringComparison.OrdinalIgnoreCase))
        {
            o.WithDnsNames(name);
        }

        if (spiffeId is not null)
        {
            o.WithSpiffeId(spiffeId);
        }
    });

    /// <summary>Issues a client certificate with a SPIFFE ID, EKU clientAuth.</summary>
    /// <param name="name">The CN.</param>
    /// <param name="spiffeId">The SPIFFE ID, or <see langword="null"/> for none.</param>
    /// <returns>The leaf.</returns>
    public TestCertificate IssueClient(string name, string? spiffeId = null) => IssueLeaf(name, o =>
    {
        o.ForClient();
        if (spiffeId is not null)
        {
            o.WithSpiffeId(spiffeId);
        }
    });

    /// <summary>Gets a trust bundle pinning this CA.</summary>
    /// <returns>The bundle.</returns>
    public TrustBundle ToTrustBundle() => TrustBundle.Create([PublicCopy()]);

    /// <summary>Gets the CA certificate as PEM (no key).</summary>
    /// <returns>The PEM text.</returns>
    public string ExportCertificatePem() => Certificate.ExportCertificatePem() + "\n";

    /// <summary>Writes the CA certificate as PEM (no key) to a file, atomically (write then rename).</summary>
    /// <param name="path">The file.</param>
    /// <returns>The path.</returns>
    public string WriteCertificatePem(string path)
    {
        FileWriter.WriteAtomically(path, ExportCertificatePem());
        return path;
    }

    /// <summary>Gets a copy of the certificate without its private key.</summary>
    /// <returns>The public certificate.</returns>
    public X509Certificate2 PublicCopy() => X509CertificateLoader.LoadCertificate(Certificate.RawData);

    /// <inheritdoc/>
    public void Dispose() => Certificate.Dispose();

    /// <inheritdoc/>
    public override string ToString() => Certificate.Subject;
}
