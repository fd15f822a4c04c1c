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
    public static (X509Certificate2 Certificate, AsymmetricAlgorithm Key) Create(string name, TestCertificateOptions options, CertificateKind kind, TestCertificateAuthority? issuer, TimeProvider time, AsymmetricAlgorithm? existingKey = null, X500DistinguishedName? subjectName = null)
    {
        var key = existingKey ?? CreateKey(options.KeyAlgorithm);
        var subject = subjectName ?? new X500DistinguishedName(options.Subject ?? $"CN={name}");
        var request = key switch
        {
            ECDsa ec => new CertificateRequest(subject, ec, HashAlgorithmName.SHA256),
            RSA rsa => new CertificateRequest(subject, rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1),
            _ => throw new NotSupportedException(),
        };

        var isCa = options.IsCa ?? kind is CertificateKind.Root or CertificateKind.Intermediate;
        if (!options.OmitBasicConstraints)
        {
            request.CertificateExtensions.Add(new X509BasicConstraintsExtension(isCa, options.PathLength.HasValue, options.PathLength ?? 0, critical: options.BasicConstraintsCritical));
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
            request.CertificateExtensions.Add(BuildSubjectAlternativeNames(options, options.SubjectAltNameCritical ?? subject.RawData.Length <= 2));
        }

        if (options.PermittedDnsSubtrees.Count + options.ExcludedDnsSubtrees.Count + options.PermittedSubtrees.Count + options.ExcludedSubtrees.Count > 0)
        {
            request.CertificateExtensions.Add(BuildNameConstraints(options));
        }

        var ski = options.SubjectPublicKeyInfo is { } spki
            ? new X509SubjectKeyIdentifierExtension(SHA256.HashData(spki).AsSpan(0, 20), critical: false)
            : new X509SubjectKeyIdentifierExtension(request.PublicKey, critical: false);
        request.CertificateExtensions.Add(ski);
        if (issuer is not null && issuer.Certificate.Extensions.OfType<X509SubjectKeyIdentifierExtension>().Any())
        {
            request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(issuer.Certificate, includeKeyIdentifier: true, includeIssuerAndSerial: options.AuthorityKeyIdentifierWithIssuerAndSerial));
        }

        if (options.CaIssuersUrl is not null)
        {
            request.CertificateExtensions.Add(new X509AuthorityInformationAccessExtension(ocspUris: null, caIssuersUris: [options.CaIssuersUrl.ToString()]));
        }

        for (var i = request.CertificateExtensions.Count - 1; i >= 0; i--)
        {
            if (options.OmitExtensions.Contains(request.CertificateExtensions[i].Oid?.Value ?? ""))
            {
                request.CertificateExtensions.RemoveAt(i);
            }
        }

        var now = time.GetUtcNow();
        var notBefore = options.NotBefore ?? now.AddMinutes(-5);
        var notAfter = options.NotAfter ?? (isCa ? now.AddYears(1) : now.AddDays(1));
        var serial = new byte[16];
        RandomNumberGenerator.Fill(serial);
        serial[0] &= 0x7F;
        serial[0] |= 0x01;

        var signer = issuer is null ? key : (AsymmetricAlgorithm?)issuer.Certificate.GetECDsaPrivateKey() ?? issuer.Certificate.GetRSAPrivateKey()
            ?? throw new InvalidOperationException($"The issuer {issuer.Certificate.Subject} has no private key.");
        try
        {
            var generator = CreateGenerator(signer, options.SignatureHash, options.SignWithRsaPss);
            using var unsigned = request.Create(issuer?.Certificate.SubjectName ?? subject, generator, notBefore, notAfter, serial);
            var rewrite = options.ExtraExtensions.Count > 0 || options.SerialNumber is not null || options.SubjectPublicKeyInfo is not null;
            if (!rewrite)
            {
                return (AttachKey(unsigned, key), key);
            }

            var der = Resign(unsigned.RawData, generator, options);
            var rewritten = X509CertificateLoader.LoadCertificate(der);
            if (options.SubjectPublicKeyInfo is not null)
            {
                return (rewritten, key);
            }

            try
            {
                using (rewritten)
                {
                    return (AttachKey(rewritten, key), key);
                }
            }
            catch (Exception ex) when (ex is CryptographicException or ArgumentException)
            {
                // A deliberately malformed extension the platform refuses to pair with a key: the public certificate only.
                return (X509CertificateLoader.LoadCertificate(der), key);
            }
        }
        finally
        {
            if (!ReferenceEquals(signer, key))
            {
                signer.Dispose();
            }
        }
    }

    /// <summary>
    /// Rewrites the to-be-signed part of a certificate (serial number, public key, extensions appended as they are, even
    /// duplicates) and signs it again: shapes CertificateRequest refuses to produce.
    /// </summary>
    private static byte[] Resign(byte[] der, X509SignatureGenerator generator, TestCertificateOptions options)
    {
        var certificate = new AsnReader(der, AsnEncodingRules.DER).ReadSequence();
        var tbs = certificate.ReadSequence();
        var version = tbs.ReadEncodedValue();
        var serial = tbs.ReadEncodedValue();
        var algorithm = tbs.ReadEncodedValue();
        var issuer = tbs.ReadEncodedValue();
        var validity = tbs.ReadEncodedValue();
        var subject = tbs.ReadEncodedValue();
        var spki = tbs.ReadEncodedValue();
        var extensions = new List<ReadOnlyMemory<byte>>();
        if (tbs.HasData)
        {
            var list = tbs.ReadSequence(new Asn1Tag(TagClass.ContextSpecific, 3, isConstructed: true)).ReadSequence();
            while (list.HasData)
            {
                extensions.Add(list.ReadEncodedValue());
            }
        }

        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            writer.WriteEncodedValue(version.Span);
            if (options.SerialNumber is { } raw)
            {
                writer.WriteEncodedValue([0x02, checked((byte)raw.Length), .. raw]);
            }
            else
            {
                writer.WriteEncodedValue(serial.Span);
            }

            writer.WriteEncodedValue(algorithm.Span);
            writer.WriteEncodedValue(issuer.Span);
            writer.WriteEncodedValue(validity.Span);
            writer.WriteEncodedValue(subject.Span);
            writer.WriteEncodedValue(options.SubjectPublicKeyInfo ?? spki.Span);
            using (writer.PushSequence(new Asn1Tag(TagClass.ContextSpecific, 3, isConstructed: true)))
            using (writer.PushSequence())
            {
                foreach (var extension in extensions)
                {
                    writer.WriteEncodedValue(extension.Span);
                }

                foreach (var extension in options.ExtraExtensions)
                {
                    using (writer.PushSequence())
                    {
                        writer.WriteObjectIdentifier(extension.Oid!.Value!);
                        if (extension.Critical)
                        {
                            writer.WriteBoolean(true);
                        }

                        writer.WriteOctetString(extension.RawData);
                    }
                }
            }
        }

        var toBeSigned = writer.Encode();
        var signature = generator.SignData(toBeSigned, options.SignatureHash);
        var outer = new AsnWriter(AsnEncodingRules.DER);
        using (outer.PushSequence())
        {
            outer.WriteEncodedValue(toBeSigned);
            outer.WriteEncodedValue(generator.GetSignatureAlgorithmIdentifier(options.SignatureHash));
            outer.WriteBitString(signature);
        }

        return outer.Encode();
    }

    private static AsymmetricAlgorithm CreateKey(TestKeyAlgorithm algorithm) => algorithm switch
    {
        TestKeyAlgorithm.EcdsaP256 => ECDsa.Create(ECCurve.NamedCurves.nistP256),
        TestKeyAlgorithm.EcdsaP384 => ECDsa.Create(ECCurve.NamedCurves.nistP384),
        TestKeyAlgorithm.EcdsaP224 => ECDsa.Create(ECCurve.CreateFromFriendlyName("secp224r1")),
        TestKeyAlgorithm.Rsa2048 => RSA.Create(2048),
        TestKeyAlgorithm.Rsa3072 => RSA.Create(3072),
        TestKeyAlgorithm.Rsa1024 => RSA.Create(1024),
        TestKeyAlgorithm.EcdsaP521 => ECDsa.Create(ECCurve.NamedCurves.nistP521),
        TestKeyAlgorithm.Rsa4096 => RSA.Create(4096),
        _ => throw new ArgumentOutOfRangeException(nameof(algorithm)),
    };

    private static X509SignatureGenerator CreateGenerator(AsymmetricAlgorithm key, HashAlgorithmName hash, bool pss)
    {
        if (hash == HashAlgorithmName.SHA1)
        {
            return new Sha1SignatureGenerator(key);
        }

        return key switch
        {
            ECDsa ec => X509SignatureGenerator.CreateForECDsa(ec),
            RSA rsa => X509SignatureGenerator.CreateForRSA(rsa, pss ? RSASignaturePadding.Pss : RSASignaturePadding.Pkcs1),
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

    private static X509Extension BuildSubjectAlternativeNames(TestCertificateOptions options, bool critical)
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

        return new X509Extension("2.5.29.17", writer.Encode(), critical);
    }

    private static X509Extension BuildNameConstraints(TestCertificateOptions options)
    {
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            WriteSubtrees(writer, 0, [.. options.PermittedDnsSubtrees.Select(n => "dns:" + n), .. options.PermittedSubtrees]);
            WriteSubtrees(writer, 1, [.. options.ExcludedDnsSubtrees.Select(n => "dns:" + n), .. options.ExcludedSubtrees]);
        }

        return new X509Extension("2.5.29.30", writer.Encode(), options.NameConstraintsCritical);

        static void WriteSubtrees(AsnWriter writer, int tag, List<string> names)
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
                        WriteGeneralName(writer, name);
                    }
                }
            }
        }
    }

    /// <summary>Writes a GeneralName given as <c>type:value</c> (dns, ip with /prefix, uri, email, dn).</summary>
    internal static void WriteGeneralName(AsnWriter writer, string typed)
    {
        var colon = typed.IndexOf(':', StringComparison.Ordinal);
        var (type, value) = colon < 0 ? ("dns", typed) : (typed[..colon], typed[(colon + 1)..]);
        switch (type)
        {
            case "dns":
                writer.WriteCharacterString(UniversalTagNumber.IA5String, value, new Asn1Tag(TagClass.ContextSpecific, 2));
                break;
            case "uri":
                writer.WriteCharacterString(UniversalTagNumber.IA5String, value, new Asn1Tag(TagClass.ContextSpecific, 6));
                break;
            case "email":
                writer.WriteCharacterString(UniversalTagNumber.IA5String, value, new Asn1Tag(TagClass.ContextSpecific, 1));
                break;
            case "dn":
                using (writer.PushSequence(new Asn1Tag(TagClass.ContextSpecific, 4, isConstructed: true)))
                {
                    writer.WriteEncodedValue(new X500DistinguishedName(value).RawData);
                }

                break;
            case "ip":
                var slash = value.IndexOf('/', StringComparison.Ordinal);
                var address = System.Net.IPAddress.Parse(slash < 0 ? value : value[..slash]).GetAddressBytes();
                var prefix = slash < 0 ? address.Length * 8 : int.Parse(value[(slash + 1)..], System.Globalization.CultureInfo.InvariantCulture);
                var mask = new byte[address.Length];
                for (var bit = 0; bit < prefix; bit++)
                {
                    mask[bit / 8] |= (byte)(0x80 >> (bit % 8));
                }

                writer.WriteOctetString([.. address, .. mask], new Asn1Tag(TagClass.ContextSpecific, 7));
                break;
            case "raw-ip":
                writer.WriteOctetString(Convert.FromHexString(value), new Asn1Tag(TagClass.ContextSpecific, 7));
                break;
            default:
                throw new ArgumentException($"Unknown name type '{type}' in '{typed}'.", nameof(typed));
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
