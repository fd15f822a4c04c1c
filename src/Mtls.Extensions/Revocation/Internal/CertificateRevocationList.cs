using System.Collections.Concurrent;
using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Mtls.Extensions.Validation.Internal;

namespace Mtls.Extensions.Internal;

/// <summary>
/// One X.509 CRL (RFC 5280 §5), parsed once with System.Formats.Asn1 (strict DER): issuer, thisUpdate/nextUpdate, the
/// revoked serial numbers in a hash set, the issuing distribution point's scope. Delta CRLs, indirect CRLs, CRLs limited to
/// some reasons and unknown critical extensions are refused when read, with a message saying so. Its signature is verified
/// against the issuer of the path being judged (once per issuer key; the result is kept).
/// </summary>
internal sealed class CertificateRevocationList
{
    private const string CrlNumberOid = "2.5.29.20";
    private const string DeltaCrlIndicatorOid = "2.5.29.27";
    private const string IssuingDistributionPointOid = "2.5.29.28";
    private const string CertificateIssuerOid = "2.5.29.29";
    private const string ReasonCodeOid = "2.5.29.21";
    private const string InvalidityDateOid = "2.5.29.24";
    private const string CrlDistributionPointsOid = "2.5.29.31";

    private readonly HashSet<string> _revoked;
    private readonly ConcurrentDictionary<CertificateHash, SignatureCheck> _signatures = new();

    private CertificateRevocationList(byte[] raw, string source, HashSet<string> revoked)
    {
        Raw = raw;
        Source = source;
        _revoked = revoked;
    }

    public byte[] Raw { get; }

    /// <summary>Gets where the CRL was read (file and position), for messages.</summary>
    public string Source { get; }

    public ReadOnlyMemory<byte> Issuer { get; private set; }

    public string IssuerText { get; private set; } = "";

    public byte[]? AuthorityKeyId { get; private set; }

    public DateTimeOffset ThisUpdate { get; private set; }

    public DateTimeOffset? NextUpdate { get; private set; }

    public string? Number { get; private set; }

    public int Count => _revoked.Count;

    /// <summary>Gets whether the issuing distribution point limits the CRL to end-entity certificates.</summary>
    public bool OnlyUserCertificates { get; private set; }

    /// <summary>Gets whether the issuing distribution point limits the CRL to CA certificates.</summary>
    public bool OnlyCaCertificates { get; private set; }

    /// <summary>Gets the encoded GeneralNames of the issuing distribution point's full name, when it names one.</summary>
    public IReadOnlyList<ReadOnlyMemory<byte>>? DistributionPoint { get; private set; }

    private ReadOnlyMemory<byte> Tbs { get; set; }

    private string SignatureAlgorithm { get; set; } = "";

    private ReadOnlyMemory<byte>? SignatureParameters { get; set; }

    private byte[] Signature { get; set; } = [];

    /// <summary>Parses one DER CRL; throws <see cref="CryptographicException"/> naming <paramref name="source"/> when it is malformed or unsupported.</summary>
    public static CertificateRevocationList Parse(byte[] der, string source)
    {
        var crl = new CertificateRevocationList(der, source, new HashSet<string>(StringComparer.Ordinal));
        try
        {
            crl.ParseCore();
        }
        catch (AsnContentException ex)
        {
            throw new CryptographicException($"{source} is not a well-formed DER CRL: {ex.Message}", ex);
        }

        return crl;
    }

    /// <summary>Whether the serial number (as DER integer bytes) is listed.</summary>
    public bool IsRevoked(ReadOnlySpan<byte> serial) => _revoked.Count > 0 && _revoked.Contains(DenyEntry.NormalizeSerial(Convert.ToHexString(serial)));

    /// <summary>Verifies the CRL's signature with <paramref name="issuer"/>'s key; the result is kept per issuer certificate.</summary>
    public bool VerifiedBy(ParsedCertificate issuer) =>
        _signatures.GetOrAdd(issuer.Hash, static (_, state) => state.Crl.Verify(state.Issuer), (Crl: this, Issuer: issuer)) == SignatureCheck.Valid;

    /// <summary>Whether the issuing distribution point's scope covers <paramref name="certificate"/> (RFC 5280 §6.3.3 b).</summary>
    public bool Covers(ParsedCertificate certificate)
    {
        if ((OnlyUserCertificates && certificate.IsCa) || (OnlyCaCertificates && !certificate.IsCa))
        {
            return false;
        }

        if (DistributionPoint is null)
        {
            return true;
        }

        // A CRL for one distribution point covers the certificates that name it in their cRLDistributionPoints.
        var extension = certificate.Extensions.FirstOrDefault(e => e.Oid == CrlDistributionPointsOid);
        if (extension is null)
        {
            return false;
        }

        try
        {
            foreach (var name in ReadCertificateDistributionPoints(extension.Value))
            {
                foreach (var wanted in DistributionPoint)
                {
                    if (name.Span.SequenceEqual(wanted.Span))
                    {
                        return true;
                    }
                }
            }
        }
        catch (AsnContentException)
        {
            return false;
        }

        return false;
    }

    private SignatureCheck Verify(ParsedCertificate issuer)
    {
        if (!issuer.Subject.Span.SequenceEqual(Issuer.Span))
        {
            return SignatureCheck.Invalid;
        }

        return SignatureVerifier.Verify(Tbs, SignatureAlgorithm, SignatureParameters, Signature, issuer);
    }

    private void ParseCore()
    {
        var outer = new AsnReader(Raw, AsnEncodingRules.DER);
        var list = outer.ReadSequence();
        outer.ThrowIfNotEmpty();
        Tbs = list.PeekEncodedValue();
        var tbs = list.ReadSequence();
        (SignatureAlgorithm, SignatureParameters) = ParsedCertificate.ReadAlgorithm(list);
        Signature = list.ReadBitString(out var unused);
        if (unused != 0)
        {
            throw new AsnContentException("The signature has unused bits.");
        }

        list.ThrowIfNotEmpty();
        if (tbs.PeekTag().HasSameClassAndValue(Asn1Tag.Integer))
        {
            if (!tbs.TryReadInt32(out var version) || version != 1)
            {
                throw new AsnContentException("Unknown CRL version (only v2 carries a version field).");
            }
        }

        var (innerAlgorithm, innerParameters) = ParsedCertificate.ReadAlgorithm(tbs);
        if (innerAlgorithm != SignatureAlgorithm || !ParsedCertificate.SameBytes(innerParameters, SignatureParameters))
        {
            throw new AsnContentException("The signature algorithm inside the CRL differs from the one outside (RFC 5280 §5.1.1.2).");
        }

        Issuer = tbs.ReadEncodedValue();
        IssuerText = new X500DistinguishedName(Issuer.Span).Name;
        ThisUpdate = ParsedCertificate.ReadTime(tbs);
        if (tbs.HasData && (tbs.PeekTag().HasSameClassAndValue(Asn1Tag.UtcTime) || tbs.PeekTag().HasSameClassAndValue(Asn1Tag.GeneralizedTime)))
        {
            NextUpdate = ParsedCertificate.ReadTime(tbs);
        }

        if (tbs.HasData && tbs.PeekTag().HasSameClassAndValue(Asn1Tag.Sequence))
        {
            var entries = tbs.ReadSequence();
            while (entries.HasData)
            {
                var entry = entries.ReadSequence();
                var serial = entry.ReadIntegerBytes();
                _ = ParsedCertificate.ReadTime(entry);
                if (entry.HasData)
                {
                    ReadEntryExtensions(entry.ReadSequence());
                }

                entry.ThrowIfNotEmpty();
                _revoked.Add(DenyEntry.NormalizeSerial(Convert.ToHexString(serial.Span)));
            }
        }

        if (tbs.HasData)
        {
            var wrapper = tbs.ReadSequence(new Asn1Tag(TagClass.ContextSpecific, 0, isConstructed: true));
            ReadExtensions(wrapper.ReadSequence());
            wrapper.ThrowIfNotEmpty();
        }

        tbs.ThrowIfNotEmpty();
    }

    private void ReadExtensions(AsnReader extensions)
    {
        while (extensions.HasData)
        {
            var (oid, critical, value) = ReadExtension(extensions);
            switch (oid)
            {
                case X509Oids.AuthorityKeyIdentifier:
                    var aki = new AsnReader(value, AsnEncodingRules.DER).ReadSequence();
                    if (aki.HasData && aki.PeekTag().HasSameClassAndValue(new Asn1Tag(TagClass.ContextSpecific, 0)))
                    {
                        AuthorityKeyId = aki.ReadOctetString(new Asn1Tag(TagClass.ContextSpecific, 0));
                    }

                    break;
                case CrlNumberOid:
                    Number = Convert.ToHexString(new AsnReader(value, AsnEncodingRules.DER).ReadIntegerBytes().Span);
                    break;
                case DeltaCrlIndicatorOid:
                    throw new CryptographicException($"{Source} (issuer {IssuerText}) is a delta CRL: delta CRLs are not supported; give the full CRL (openssl ca -gencrl writes one).");
                case IssuingDistributionPointOid:
                    ReadIssuingDistributionPoint(value);
                    break;
                default:
                    if (critical)
                    {
                        throw new CryptographicException($"{Source} (issuer {IssuerText}) has the critical extension {oid}, which is not supported.");
                    }

                    break;
            }
        }
    }

    private void ReadEntryExtensions(AsnReader extensions)
    {
        while (extensions.HasData)
        {
            var (oid, critical, _) = ReadExtension(extensions);
            if (oid == CertificateIssuerOid)
            {
                throw new CryptographicException($"{Source} (issuer {IssuerText}) is an indirect CRL (an entry names another certificate issuer): indirect CRLs are not supported; give each CA's own CRL.");
            }

            if (critical && oid is not (ReasonCodeOid or InvalidityDateOid))
            {
                throw new CryptographicException($"{Source} (issuer {IssuerText}) has an entry with the critical extension {oid}, which is not supported.");
            }
        }
    }

    private void ReadIssuingDistributionPoint(ReadOnlyMemory<byte> value)
    {
        var idp = new AsnReader(value, AsnEncodingRules.DER).ReadSequence();
        while (idp.HasData)
        {
            var tag = idp.PeekTag();
            if (tag.TagClass != TagClass.ContextSpecific)
            {
                throw new AsnContentException("Unexpected element in the issuing distribution point.");
            }

            switch (tag.TagValue)
            {
                case 0:
                    var point = idp.ReadSequence(new Asn1Tag(TagClass.ContextSpecific, 0));
                    DistributionPoint = ReadDistributionPointName(point);
                    break;
                case 1:
                    OnlyUserCertificates = idp.ReadBoolean(new Asn1Tag(TagClass.ContextSpecific, 1));
                    break;
                case 2:
                    OnlyCaCertificates = idp.ReadBoolean(new Asn1Tag(TagClass.ContextSpecific, 2));
                    break;
                case 3:
                    throw new CryptographicException($"{Source} (issuer {IssuerText}) covers only some revocation reasons (onlySomeReasons): such partial CRLs are not supported; give the complete CRL.");
                case 4:
                    if (idp.ReadBoolean(new Asn1Tag(TagClass.ContextSpecific, 4)))
                    {
                        throw new CryptographicException($"{Source} (issuer {IssuerText}) is an indirect CRL (indirectCRL in its issuing distribution point): indirect CRLs are not supported; give each CA's own CRL.");
                    }

                    break;
                case 5:
                    if (idp.ReadBoolean(new Asn1Tag(TagClass.ContextSpecific, 5)))
                    {
                        throw new CryptographicException($"{Source} (issuer {IssuerText}) covers only attribute certificates; it cannot revoke a TLS certificate.");
                    }

                    break;
                default:
                    throw new AsnContentException("Unexpected element in the issuing distribution point.");
            }
        }
    }

    /// <summary>The full name's GeneralNames of a DistributionPointName ([0] fullName); a relative name is kept as its encoding.</summary>
    private static List<ReadOnlyMemory<byte>> ReadDistributionPointName(AsnReader point)
    {
        var names = new List<ReadOnlyMemory<byte>>();
        if (point.PeekTag().HasSameClassAndValue(new Asn1Tag(TagClass.ContextSpecific, 0)))
        {
            var full = point.ReadSequence(new Asn1Tag(TagClass.ContextSpecific, 0));
            while (full.HasData)
            {
                names.Add(full.ReadEncodedValue());
            }
        }
        else
        {
            names.Add(point.ReadEncodedValue());
        }

        return names;
    }

    private static List<ReadOnlyMemory<byte>> ReadCertificateDistributionPoints(ReadOnlyMemory<byte> value)
    {
        var points = new AsnReader(value, AsnEncodingRules.DER).ReadSequence();
        var names = new List<ReadOnlyMemory<byte>>();
        while (points.HasData)
        {
            var point = points.ReadSequence();
            if (point.HasData && point.PeekTag().HasSameClassAndValue(new Asn1Tag(TagClass.ContextSpecific, 0)))
            {
                names.AddRange(ReadDistributionPointName(point.ReadSequence(new Asn1Tag(TagClass.ContextSpecific, 0))));
            }
        }

        return names;
    }

    private static (string Oid, bool Critical, ReadOnlyMemory<byte> Value) ReadExtension(AsnReader extensions)
    {
        var extension = extensions.ReadSequence();
        var oid = extension.ReadObjectIdentifier();
        var critical = extension.PeekTag().HasSameClassAndValue(Asn1Tag.Boolean) && extension.ReadBoolean();
        var value = extension.ReadOctetString();
        extension.ThrowIfNotEmpty();
        return (oid, critical, value);
    }
}
