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

    /// <summary>
    /// Creates a SubjectPublicKeyInfo for <see cref="TestCertificateOptions.SubjectPublicKeyInfo"/>: keys the platform cannot
    /// create or use in TLS, for key-rule tests. Only the public half exists.
    /// </summary>
    /// <param name="kind">The kind of key.</param>
    /// <returns>The DER SubjectPublicKeyInfo.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="kind"/> is unknown.</exception>
    public static byte[] CreatePublicKeyInfo(TestPublicKeyKind kind)
    {
        switch (kind)
        {
            case TestPublicKeyKind.RsaPss2048:
            {
                using var rsa = RSA.Create(2048);
                return Spki("1.2.840.113549.1.1.10", null, rsa.ExportRSAPublicKey());
            }

            case TestPublicKeyKind.Rsa2047:
            {
                var modulus = RandomNumberGenerator.GetBytes(256);
                modulus[0] = (byte)((modulus[0] & 0x3F) | 0x40);
                modulus[^1] |= 1;
                var writer = new System.Formats.Asn1.AsnWriter(System.Formats.Asn1.AsnEncodingRules.DER);
                using (writer.PushSequence())
                {
                    writer.WriteIntegerUnsigned(modulus);
                    writer.WriteInteger(65537);
                }

                return Spki("1.2.840.113549.1.1.1", [0x05, 0x00], writer.Encode());
            }

            case TestPublicKeyKind.Ed25519:
                return Spki("1.3.101.112", null, RandomNumberGenerator.GetBytes(32));
            case TestPublicKeyKind.Ed448:
                return Spki("1.3.101.113", null, RandomNumberGenerator.GetBytes(57));
            case TestPublicKeyKind.Dsa2048:
            {
                var writer = new System.Formats.Asn1.AsnWriter(System.Formats.Asn1.AsnEncodingRules.DER);
                writer.WriteIntegerUnsigned(RandomNumberGenerator.GetBytes(256));
                return Spki("1.2.840.10040.4.1", null, writer.Encode());
            }

            case TestPublicKeyKind.EcdsaP192:
            {
                var point = new byte[49];
                point[0] = 4;
                RandomNumberGenerator.Fill(point.AsSpan(1));
                var writer = new System.Formats.Asn1.AsnWriter(System.Formats.Asn1.AsnEncodingRules.DER);
                writer.WriteObjectIdentifier("1.2.840.10045.3.1.1");
                return Spki("1.2.840.10045.2.1", writer.Encode(), point);
            }

            case TestPublicKeyKind.EcdsaBrainpoolP256:
            {
                using var ec = ECDsa.Create(ECCurve.NamedCurves.brainpoolP256r1);
                return ec.ExportSubjectPublicKeyInfo();
            }

            default:
                throw new ArgumentOutOfRangeException(nameof(kind));
        }

        static byte[] Spki(string algorithm, byte[]? parameters, byte[] key)
        {
            var writer = new System.Formats.Asn1.AsnWriter(System.Formats.Asn1.AsnEncodingRules.DER);
            using (writer.PushSequence())
            {
                using (writer.PushSequence())
                {
                    writer.WriteObjectIdentifier(algorithm);
                    if (parameters is not null)
                    {
                        writer.WriteEncodedValue(parameters);
                    }
                }

                writer.WriteBitString(key);
            }

            return writer.Encode();
        }
    }

    /// <summary>Builds the DER value of an extension from an <see cref="System.Formats.Asn1.AsnWriter"/> callback, for <see cref="TestCertificateOptions.ExtraExtensions"/>.</summary>
    /// <param name="oid">The extension's OID.</param>
    /// <param name="critical">Whether it is critical.</param>
    /// <param name="write">Writes the value.</param>
    /// <returns>The extension.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="write"/> is <see langword="null"/>.</exception>
    public static X509Extension CreateExtension(string oid, bool critical, Action<System.Formats.Asn1.AsnWriter> write)
    {
        ArgumentNullException.ThrowIfNull(write);
        var writer = new System.Formats.Asn1.AsnWriter(System.Formats.Asn1.AsnEncodingRules.DER);
        write(writer);
        return new X509Extension(oid, writer.Encode(), critical);
    }

    /// <summary>Writes a GeneralName given as <c>type:value</c> (<c>dns:</c>, <c>uri:</c>, <c>email:</c>, <c>dn:</c>, <c>ip:</c> with an optional <c>/prefix</c>, <c>raw-ip:</c> hex).</summary>
    /// <param name="writer">The writer.</param>
    /// <param name="typedName">The name.</param>
    /// <exception cref="ArgumentNullException"><paramref name="writer"/> is <see langword="null"/>.</exception>
    public static void WriteGeneralName(System.Formats.Asn1.AsnWriter writer, string typedName)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(typedName);
        CertificateFactory.WriteGeneralName(writer, typedName);
    }
}
