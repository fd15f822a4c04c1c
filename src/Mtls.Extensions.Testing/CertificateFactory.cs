using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Mtls.Extensions.Testing;

internal enum CertificateKind
{
    Root,
    Intermediate,
    Leaf,
    SelfSignedLeaf,
}

internal static class CertificateFactory
{
    public static (X509Certificate2 Certificate, AsymmetricAlgorithm Key) Create(string name, TestCertificateOptions options, CertificateKind kind, TestCertificateAuthority? issuer, TimeProvider time)
    {
        var key = CreateKey(options.KeyAlgorithm);
        var subject = new X500DistinguishedName(options.Subject ?? $"CN={name}");
        var request = key switch
        {
            ECDsa ec => new CertificateRequest(subject, ec, HashAlgorithmName.SHA256),
            RSA rsa => new CertificateRequest(subject, rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1),
            _ => throw new NotSupportedException(),
        };

        var isCa = options.IsCa ?? kind is CertificateKind.Root or CertificateKind.Intermediate;
        if (!options.OmitBasicConstraints)
        {
            request.CertificateExtensions.Add(new X509BasicConstraintsExtension(isCa, options.PathLength.HasValue, options.PathLength ?? 0, critical: true));
        }

        var keyUsage = options.KeyUsage ?? (isCa
            ? X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign | X509KeyUsageFlags.DigitalSignature
            : key is RSA ? X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment : X509KeyUsageFlags.DigitalSignature);
        if (keyUsage != X509KeyUsageFlags.None)
        {
            request.CertificateExtensions.Add(new X509KeyUsageExtension(keyUsage, critical: true));
        }

        var ekus = options.ExtendedKeyUsages ?? (isCa ? [] : [TestCertificateOptions.ClientAuth, TestCertificateOptions.ServerAuth]);
        if (ekus.Count > 0)
        {
            var collection = new OidCollection();
            foreach (var oid in ekus)
            {
                collection.Add(new Oid(oid));
            }

            request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(collection, critical: false));
        }

        if (options.DnsNames.Count + options.IpAddresses.Count + options.Uris.Count + options.Emails.Count > 0)
        {
            request.CertificateExtensions.Add(BuildSubjectAlternativeNames(options));
        }

        if (options.PermittedDnsSubtrees.Count + options.ExcludedDnsSubtrees.Count > 0)
        {
            request.CertificateExtensions.Add(BuildNameConstraints(options));
        }

        var ski = new X509SubjectKeyIdentifierExtension(request.PublicKey, critical: false);
        request.CertificateExtensions.Add(ski);
        if (issuer is not null)
        {
            request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(issuer.Certificate, includeKeyIdentifier: true, includeIssuerAndSerial: false));
        }

        if (options.CaIssuersUrl is not null)
        {
            request.CertificateExtensions.Add(new X509AuthorityInformationAccessExtension(ocspUris: null, caIssuersUris: [options.CaIssuersUrl.ToString()]));
        }

        var now = time.GetUtcNow();
        var notBefore = options.NotBefore ?? now.AddMinutes(-5);
        var notAfter = options.NotAfter ?? (isCa ? now.AddYears(1) : now.AddDays(1));
        var serial = new byte[16];
        RandomNumberGenerator.Fill(serial);
        serial[0] &= 0x7F;
        serial[0] |= 0x01;

        X509Certificate2 certificate;
        if (issuer is null)
        {
            var generator = CreateGenerator(key, options.SignatureHash);
            using var unsigned = request.Create(subject, generator, notBefore, notAfter, serial);
            certificate = AttachKey(unsigned, key);
        }
        else
        {
            using var issuerKey = (AsymmetricAlgorithm?)issuer.Certificate.GetECDsaPrivateKey() ?? issuer.Certificate.GetRSAPrivateKey()
                ?? throw new InvalidOperationException($"The issuer {issuer.Certificate.Subject} has no private key.");
            var generator = CreateGenerator(issuerKey, options.SignatureHash);
            using var unsigned = request.Create(issuer.Certificate.SubjectName, generator, notBefore, notAfter, serial);
            certificate = AttachKey(unsigned, key);
        }

        return (certificate, key);
    }

    private static AsymmetricAlgorithm CreateKey(TestKeyAlgorithm algorithm) => algorithm switch
    {
        TestKeyAlgorithm.EcdsaP256 => ECDsa.Create(ECCurve.NamedCurves.nistP256),
        TestKeyAlgorithm.EcdsaP384 => ECDsa.Create(ECCurve.NamedCurves.nistP384),
        TestKeyAlgorithm.EcdsaP224 => ECDsa.Create(ECCurve.CreateFromFriendlyName("secp224r1")),
        TestKeyAlgorithm.Rsa2048 => RSA.Create(2048),
        TestKeyAlgorithm.Rsa3072 => RSA.Create(3072),
        TestKeyAlgorithm.Rsa1024 => RSA.Create(1024),
        _ => throw new ArgumentOutOfRangeException(nameof(algorithm)),
    };

    private static X509SignatureGenerator CreateGenerator(AsymmetricAlgorithm key, HashAlgorithmName hash)
    {
        if (hash == HashAlgorithmName.SHA1)
        {
            return new Sha1SignatureGenerator(key);
        }

        return key switch
        {
            ECDsa ec => X509SignatureGenerator.CreateForECDsa(ec),
            RSA rsa => X509SignatureGenerator.CreateForRSA(rsa, RSASignaturePadding.Pkcs1),
            _ => throw new NotSupportedException(),
        };
    }

    private static X509Certificate2 AttachKey(X509Certificate2 certificate, AsymmetricAlgorithm key)
    {
        var withKey = key switch
        {
            ECDsa ec => certificate.CopyWithPrivateKey(ec),
            RSA rsa => certificate.CopyWithPrivateKey(rsa),
            _ => throw new NotSupportedException(),
        };

        // A PKCS#12 round trip gives a key that every platform's TLS stack can use.
        using (withKey)
        {
            return X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null, X509KeyStorageFlags.Exportable);
        }
    }

    private static X509Extension BuildSubjectAlternativeNames(TestCertificateOptions options)
    {
        // Built by hand so that any URI (including invalid SPIFFE IDs) and email can be written.
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            foreach (var email in options.Emails)
            {
                writer.WriteCharacterString(UniversalTagNumber.IA5String, email, new Asn1Tag(TagClass.ContextSpecific, 1));
            }

            foreach (var dns in options.DnsNames)
            {
                writer.WriteCharacterString(UniversalTagNumber.IA5String, dns, new Asn1Tag(TagClass.ContextSpecific, 2));
            }

            foreach (var uri in options.Uris)
            {
                writer.WriteCharacterString(UniversalTagNumber.IA5String, uri, new Asn1Tag(TagClass.ContextSpecific, 6));
            }

            foreach (var ip in options.IpAddresses)
            {
                writer.WriteOctetString(ip.GetAddressBytes(), new Asn1Tag(TagClass.ContextSpecific, 7));
            }
        }

        return new X509Extension("2.5.29.17", writer.Encode(), critical: false);
    }

    private static X509Extension BuildNameConstraints(TestCertificateOptions options)
    {
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            WriteSubtrees(writer, 0, options.PermittedDnsSubtrees);
            WriteSubtrees(writer, 1, options.ExcludedDnsSubtrees);
        }

        return new X509Extension("2.5.29.30", writer.Encode(), critical: true);

        static void WriteSubtrees(AsnWriter writer, int tag, IList<string> names)
        {
            if (names.Count == 0)
            {
                return;
            }

            using (writer.PushSequence(new Asn1Tag(TagClass.ContextSpecific, tag)))
            {
                foreach (var name in names)
                {
                    using (writer.PushSequence())
                    {
                        writer.WriteCharacterString(UniversalTagNumber.IA5String, name, new Asn1Tag(TagClass.ContextSpecific, 2));
                    }
                }
            }
        }
    }

    /// <summary>Signs with SHA-1, which the BCL's generators refuse: needed to test that SHA-1 is rejected.</summary>
    private sealed class Sha1SignatureGenerator(AsymmetricAlgorithm key) : X509SignatureGenerator
    {
        private static readonly byte[] Sha1WithRsa = [0x30, 0x0D, 0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x05, 0x05, 0x00];
        private static readonly byte[] EcdsaWithSha1 = [0x30, 0x09, 0x06, 0x07, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x04, 0x01];

        public override byte[] GetSignatureAlgorithmIdentifier(HashAlgorithmName hashAlgorithm) => key is RSA ? Sha1WithRsa : EcdsaWithSha1;

        public override byte[] SignData(byte[] data, HashAlgorithmName hashAlgorithm) => key switch
        {
            ECDsa ec => ec.SignData(data, HashAlgorithmName.SHA1, DSASignatureFormat.Rfc3279DerSequence),
            RSA rsa => rsa.SignData(data, HashAlgorithmName.SHA1, RSASignaturePadding.Pkcs1),
            _ => throw new NotSupportedException(),
        };

        protected override PublicKey BuildPublicKey() => key switch
        {
            ECDsa ec => X509SignatureGenerator.CreateForECDsa(ec).PublicKey,
            RSA rsa => X509SignatureGenerator.CreateForRSA(rsa, RSASignaturePadding.Pkcs1).PublicKey,
            _ => throw new NotSupportedException(),
        };
    }
}
