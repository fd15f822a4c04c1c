using System.Formats.Asn1;
using System.Security.Cryptography;
using Mtls.Extensions.Internal;

namespace Mtls.Extensions.Tests.Revocation;

/// <summary>What the CRL reader refuses, each with a message naming the file and the reason.</summary>
public sealed class CertificateRevocationListTests
{
    private const string Ecdsa256 = "1.2.840.10045.4.3.2";

    /// <summary>A v2 CRL of CN=Test CA with the given CRL extensions and entry extensions (the signature is not checked when reading).</summary>
    private static byte[] Crl(Action<AsnWriter>? crlExtensions = null, Action<AsnWriter>? entryExtensions = null)
    {
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            using (writer.PushSequence())
            {
                writer.WriteInteger(1);
                Algorithm(writer);
                writer.WriteEncodedValue(new System.Security.Cryptography.X509Certificates.X500DistinguishedName("CN=Test CA").RawData);
                writer.WriteUtcTime(DateTimeOffset.UtcNow.AddMinutes(-1));
                writer.WriteUtcTime(DateTimeOffset.UtcNow.AddDays(1));
                using (writer.PushSequence())
                {
                    using (writer.PushSequence())
                    {
                        writer.WriteInteger(4096);
                        writer.WriteUtcTime(DateTimeOffset.UtcNow.AddMinutes(-1));
                        if (entryExtensions is not null)
                        {
                            using (writer.PushSequence())
                            {
                                entryExtensions(writer);
                            }
                        }
                    }
                }

                if (crlExtensions is not null)
                {
                    using (writer.PushSequence(new Asn1Tag(TagClass.ContextSpecific, 0, isConstructed: true)))
                    using (writer.PushSequence())
                    {
                        crlExtensions(writer);
                    }
                }
            }

            Algorithm(writer);
            writer.WriteBitString(new byte[8]);
        }

        return writer.Encode();
    }

    private static void Algorithm(AsnWriter writer)
    {
        using (writer.PushSequence())
        {
            writer.WriteObjectIdentifier(Ecdsa256);
        }
    }

    private static void Extension(AsnWriter writer, string oid, bool critical, Action<AsnWriter> value)
    {
        var inner = new AsnWriter(AsnEncodingRules.DER);
        value(inner);
        using (writer.PushSequence())
        {
            writer.WriteObjectIdentifier(oid);
            if (critical)
            {
                writer.WriteBoolean(true);
            }

            writer.WriteOctetString(inner.Encode());
        }
    }

    [Fact]
    public void Parse_PlainCrl_ListsItsSerial()
    {
        var crl = CertificateRevocationList.Parse(Crl(), "plain.crl");
        Assert.True(crl.IsRevoked([0x10, 0x00]));
        Assert.True(crl.IsRevoked([0x00, 0x10, 0x00]));
        Assert.False(crl.IsRevoked([0x10, 0x01]));
        Assert.Equal("CN=Test CA", crl.IssuerText);
    }

    [Fact]
    public void Parse_DeltaCrl_RefusedNamingTheFile()
    {
        var der = Crl(w => Extension(w, "2.5.29.27", critical: true, v => v.WriteInteger(1)));
        var error = Assert.Throws<CryptographicException>(() => CertificateRevocationList.Parse(der, "'delta.crl'"));
        Assert.Contains("'delta.crl' (issuer CN=Test CA) is a delta CRL", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_IndirectCrlByIssuingDistributionPoint_Refused()
    {
        var der = Crl(w => Extension(w, "2.5.29.28", critical: true, v =>
        {
            using (v.PushSequence())
            {
                v.WriteBoolean(true, new Asn1Tag(TagClass.ContextSpecific, 4));
            }
        }));
        var error = Assert.Throws<CryptographicException>(() => CertificateRevocationList.Parse(der, "'indirect.crl'"));
        Assert.Contains("indirect CRL", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_EntryNamingAnotherCertificateIssuer_RefusedAsIndirect()
    {
        var der = Crl(entryExtensions: w => Extension(w, "2.5.29.29", critical: true, v =>
        {
            using (v.PushSequence())
            {
                v.WriteCharacterString(UniversalTagNumber.IA5String, "ca.example.org", new Asn1Tag(TagClass.ContextSpecific, 2));
            }
        }));
        var error = Assert.Throws<CryptographicException>(() => CertificateRevocationList.Parse(der, "'entry.crl'"));
        Assert.Contains("indirect CRL (an entry names another certificate issuer)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_OnlySomeReasons_RefusedAsPartial()
    {
        var der = Crl(w => Extension(w, "2.5.29.28", critical: true, v =>
        {
            using (v.PushSequence())
            {
                v.WriteBitString([0x40], unusedBitCount: 6, new Asn1Tag(TagClass.ContextSpecific, 3));
            }
        }));
        var error = Assert.Throws<CryptographicException>(() => CertificateRevocationList.Parse(der, "'some.crl'"));
        Assert.Contains("onlySomeReasons", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_UnknownCriticalExtension_Refused()
    {
        var der = Crl(w => Extension(w, "1.2.3.4", critical: true, v => v.WriteNull()));
        var error = Assert.Throws<CryptographicException>(() => CertificateRevocationList.Parse(der, "'odd.crl'"));
        Assert.Contains("critical extension 1.2.3.4", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_IssuingDistributionPointOnlyUserCertificates_ScopeKept()
    {
        var der = Crl(w => Extension(w, "2.5.29.28", critical: true, v =>
        {
            using (v.PushSequence())
            {
                v.WriteBoolean(true, new Asn1Tag(TagClass.ContextSpecific, 1));
            }
        }));
        var crl = CertificateRevocationList.Parse(der, "'users.crl'");
        Assert.True(crl.OnlyUserCertificates);
        Assert.False(crl.OnlyCaCertificates);
    }
}
