using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Mtls.Extensions.Testing;

/// <summary>
/// Entry point of the runtime test PKI: roots, intermediates and leaves (ECDSA P-256 by default, RSA on
/// request) created in memory, good and deliberately bad. Nothing is checked in, so nothing expires in a repo.
/// </summary>
/// <example>
/// <code>
/// using var root = TestPki.CreateRoot("Fleet Root");
/// using var issuing = root.CreateIntermediate("Issuing CA");
/// using var orders = issuing.IssueLeaf("orders", o => o.WithSpiffeId("spiffe://example.org/ns/prod/sa/orders").ForClient());
/// </code>
/// </example>
public static class TestPki
{
    /// <summary>Creates a self-signed root CA.</summary>
    /// <param name="name">The CN.</param>
    /// <param name="configure">Adjusts the certificate.</param>
    /// <param name="timeProvider">The clock for default validity windows; defaults to <see cref="TimeProvider.System"/>.</param>
    /// <returns>The root, with its private key.</returns>
    public static TestCertificateAuthority CreateRoot(string name = "Test Root CA", Action<TestCertificateOptions>? configure = null, TimeProvider? timeProvider = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        var time = timeProvider ?? TimeProvider.System;
        var options = new TestCertificateOptions();
        configure?.Invoke(options);
        var (certificate, _) = CertificateFactory.Create(name, options, CertificateKind.Root, issuer: null, time);
        return new TestCertificateAuthority(certificate, parent: null, time);
    }

    /// <summary>Creates a self-signed end-entity certificate (not a CA), for rejection tests.</summary>
    /// <param name="name">The CN.</param>
    /// <param name="configure">Adjusts the certificate.</param>
    /// <param name="timeProvider">The clock.</param>
    /// <returns>The certificate.</returns>
    public static TestCertificate CreateSelfSignedLeaf(string name, Action<TestCertificateOptions>? configure = null, TimeProvider? timeProvider = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        var options = new TestCertificateOptions();
        configure?.Invoke(options);
        var (certificate, _) = CertificateFactory.Create(name, options, CertificateKind.SelfSignedLeaf, issuer: null, timeProvider ?? TimeProvider.System);
        return new TestCertificate(certificate, []);
    }

    /// <summary>Returns bytes that are not a valid DER certificate (a truncated one), for rejection tests.</summary>
    /// <returns>Malformed DER.</returns>
    public static byte[] CreateMalformedDer()
    {
        using var root = CreateRoot("Malformed");
        var raw = root.Certificate.RawData;
        return raw.AsSpan(0, raw.Length / 2).ToArray();
    }
}
