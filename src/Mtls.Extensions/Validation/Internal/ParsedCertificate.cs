using System.Buffers.Binary;
using System.Formats.Asn1;
using System.Numerics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Mtls.Extensions.Validation.Internal;

/// <summary>The SHA-256 of a certificate's DER bytes, as a value usable as a dictionary key.</summary>
internal readonly record struct CertificateHash(ulong A, ulong B, ulong C, ulong D)
{
    public static CertificateHash Of(ReadOnlySpan<byte> der)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(der, hash);
        return new(BinaryPrimitives.ReadUInt64LittleEndian(hash), BinaryPrimitives.ReadUInt64LittleEndian(hash[8..]),
            BinaryPrimitives.ReadUInt64LittleEndian(hash[16..]), BinaryPrimitives.ReadUInt64LittleEndian(hash[24..]));
    }
}

/// <summary>One GeneralName (RFC 5280 §4.2.1.6): its context tag, the text of IA5 forms, the bytes of the others.</summary>
internal readonly record struct GeneralName(int Tag, string? Text, ReadOnlyMemory<byte> Bytes)
{
    public const int OtherName = 0, Rfc822 = 1, Dns = 2, X400 = 3, Directory = 4, Edi = 5, Uri = 6, Ip = 7, RegisteredId = 8;

    public static string TagName(int tag) => tag switch
    {
        Rfc822 => "rfc822Name", Dns => "dNSName", Directory => "directoryName", Uri => "uniformResourceIdentifier", Ip => "iPAddress",
        OtherName => "otherName", X400 => "x400Address", Edi => "ediPartyName", RegisteredId => "registeredID", _ => $"[{tag}]",
    };

    public override string ToString() => Tag switch
    {
        Ip => Bytes.Length is 4 or 16 ? new System.Net.IPAddress(Bytes.Span).ToString() : Convert.ToHexString(Bytes.Span),
        _ => Text ?? Convert.ToHexString(Bytes.Span),
    };

    /// <summary>Reads one GeneralName; IA5 forms must hold IA5 characters.</summary>
    public static GeneralName Read(AsnReader reader)
    {
        var tag = reader.PeekTag();
        if (tag.TagClass != TagClass.ContextSpecific)
        {
            throw new AsnContentException("A GeneralName must be context-tagged.");
        }

        switch (tag.TagValue)
        {
            case Rfc822 or Dns or Uri:
                return new(tag.TagValue, reader.ReadCharacterString(UniversalTagNumber.IA5String, new Asn1Tag(TagClass.ContextSpecific, tag.TagValue)), default);
            case Ip:
                return new(Ip, null, reader.ReadOctetString(new Asn1Tag(TagClass.ContextSpecific, Ip)));
            case Directory:
                var inner = reader.ReadSequence(new Asn1Tag(TagClass.ContextSpecific, Directory, isConstructed: true));
                var name = inner.ReadEncodedValue().ToArray();
                inner.ThrowIfNotEmpty();
                _ = new AsnReader(name, AsnEncodingRules.DER).ReadSequence(); // must be a Name
                return new(Directory, null, name);
            case RegisteredId:
                return new(RegisteredId, reader.ReadObjectIdentifier(new Asn1Tag(TagClass.ContextSpecific, RegisteredId)), default);
            case OtherName or X400 or Edi:
                return new(tag.TagValue, null, reader.ReadEncodedValue().ToArray());
            default:
                throw new AsnContentException($"Unknown GeneralName tag [{tag.TagValue}].");
        }
    }
}

internal sealed record CertificateExtension(string Oid, bool Critical, ReadOnlyMemory<byte> Value);

internal sealed record BasicConstraintsInfo(bool Critical, bool IsCa, int? PathLength);

internal sealed record AuthorityKeyIdInfo(byte[]? KeyId, bool HasIssuer, bool HasSerial);

internal sealed record GeneralSubtree(GeneralName Base, bool HasMinimumOrMaximum);

internal sealed record NameConstraintsInfo(IReadOnlyList<GeneralSubtree>? Permitted, IReadOnlyList<GeneralSubtree>? Excluded);

/// <summary>A problem found while parsing (context free): the reason it maps to and a sentence fragment.</summary>
internal readonly record struct ParseProblem(MtlsRejectionReason Reason, string Text);

/// <summary>Public key facts judged without creating a key object.</summary>
internal sealed record KeyInfo(string Algorithm, string Description, int Bits, string? Curve);

/// <summary>
/// A certificate parsed once with System.Formats.Asn1 (strict DER): the signed part, the names, the validity, the key and
/// every extension, decoded. Immutable, so that one instance can be cached and shared by concurrent handshakes.
/// </summary>
internal sealed class ParsedCertificate
{
    private static readonly HashSet<string> ProcessedCriticalExtensions =
    [
        X509Oids.BasicConstraints, X509Oids.KeyUsage, X509Oids.ExtendedKeyUsage, X509Oids.SubjectAltName, X509Oids.NameConstraints,
        X509Oids.CertificatePolicies, X509Oids.PolicyConstraints, X509Oids.InhibitAnyPolicy, X509Oids.PolicyMappings,
        X509Oids.SubjectKeyIdentifier, X509Oids.AuthorityKeyIdentifier, // judged (and refused when critical) by the key identifier rule
    ];

    private ParsedCertificate(byte[] raw, CertificateHash hash)
    {
        Raw = raw;
        Hash = hash;
    }

    public byte[] Raw { get; }
    public CertificateHash Hash { get; }
    public string SubjectText { get; private set; } = "";
    public ReadOnlyMemory<byte> Tbs { get; private set; }
    public string SignatureAlgorithm { get; private set; } = "";
    public ReadOnlyMemory<byte>? SignatureParameters { get; private set; }
    public byte[] Signature { get; private set; } = [];
    public ReadOnlyMemory<byte> Serial { get; private set; }
    public ReadOnlyMemory<byte> Issuer { get; private set; }
    public ReadOnlyMemory<byte> Subject { get; private set; }
    public IReadOnlyList<ReadOnlyMemory<byte>> SubjectRdns { get; private set; } = [];
    public IReadOnlyList<string> CommonNames { get; private set; } = [];
    public DateTimeOffset NotBefore { get; private set; }
    public DateTimeOffset NotAfter { get; private set; }
    public ReadOnlyMemory<byte> SubjectPublicKeyInfo { get; private set; }
    public string KeyAlgorithm { get; private set; } = "";
    public ReadOnlyMemory<byte>? KeyParameters { get; private set; }
    public ReadOnlyMemory<byte> KeyBits { get; private set; }
    public IReadOnlyList<CertificateExtension> Extensions { get; private set; } = [];
    public BasicConstraintsInfo? BasicConstraints { get; private set; }
    public X509KeyUsageFlags? KeyUsage { get; private set; }
    public IReadOnlyList<string>? ExtendedKeyUsages { get; private set; }
    public byte[]? SubjectKeyId { get; private set; }
    public AuthorityKeyIdInfo? AuthorityKeyId { get; private set; }
    public IReadOnlyList<GeneralName>? SubjectAltNames { get; private set; }

    /// <summary>Gets why the (first) subjectAltName extension cannot be decoded, when that is the case; then <see cref="SubjectAltNames"/> is null.</summary>
    public string? SubjectAltNamesError { get; private set; }
    public bool SubjectAltNamesCritical { get; private set; }
    public NameConstraintsInfo? NameConstraints { get; private set; }
    public KeyInfo? Key { get; private set; }

    /// <summary>Gets the structural problems found (malformed, duplicate or unrecognised critical extensions), in order.</summary>
    public IReadOnlyList<ParseProblem> Problems { get; private set; } = [];

    public bool SubjectEmpty => SubjectRdns.Count == 0;
    public bool IsSelfIssued => Subject.Span.SequenceEqual(Issuer.Span);
    public bool IsCa => BasicConstraints is { IsCa: true };

    public bool SameKeyAs(ParsedCertificate other) => SubjectPublicKeyInfo.Span.SequenceEqual(other.SubjectPublicKeyInfo.Span);

    /// <summary>Parses DER; throws <see cref="CryptographicException"/> when the certificate itself is not well formed.</summary>
    public static ParsedCertificate Parse(byte[] raw, CertificateHash hash, string subjectText)
    {
        var parsed = new ParsedCertificate(raw, hash) { SubjectText = subjectText };
        try
        {
            parsed.ParseCore();
        }
        catch (AsnContentException ex)
        {
            throw new CryptographicException($"The certificate is not well-formed DER: {ex.Message}", ex);
        }

        return parsed;
    }

    private void ParseCore()
    {
        var outer = new AsnReader(Raw, AsnEncodingRules.DER);
        var certificate = outer.ReadSequence();
        outer.ThrowIfNotEmpty();
        Tbs = certificate.PeekEncodedValue();
        var tbs = certificate.ReadSequence();
        (SignatureAlgorithm, SignatureParameters) = ReadAlgorithm(certificate);
        Signature = certificate.ReadBitString(out var unused);
        if (unused != 0)
        {
            throw new AsnContentException("The signature has unused bits.");
        }

        certificate.ThrowIfNotEmpty();

        var version = 0;
        if (tbs.PeekTag().HasSameClassAndValue(new Asn1Tag(TagClass.ContextSpecific, 0)))
        {
            var explicitVersion = tbs.ReadSequence(new Asn1Tag(TagClass.ContextSpecific, 0, isConstructed: true));
            if (!explicitVersion.TryReadInt32(out version) || version is < 0 or > 2)
            {
                throw new AsnContentException("Unknown certificate version.");
            }

            explicitVersion.ThrowIfNotEmpty();
        }

        Serial = tbs.ReadIntegerBytes();
        var (innerAlgorithm, innerParameters) = ReadAlgorithm(tbs);
        if (innerAlgorithm != SignatureAlgorithm || !SameBytes(innerParameters, SignatureParameters))
        {
            throw new AsnContentException("The signature algorithm inside the certificate differs from the one outside (RFC 5280 §4.1.1.2).");
        }

        Issuer = tbs.ReadEncodedValue();
        var validity = tbs.ReadSequence();
        NotBefore = ReadTime(validity);
        NotAfter = ReadTime(validity);
        validity.ThrowIfNotEmpty();
        Subject = tbs.ReadEncodedValue();
        (SubjectRdns, CommonNames) = ReadName(Subject);
        _ = ReadName(Issuer);
        SubjectPublicKeyInfo = tbs.PeekEncodedValue();
        var spki = tbs.ReadSequence();
        (KeyAlgorithm, KeyParameters) = ReadAlgorithm(spki);
        KeyBits = spki.ReadBitString(out _);
        spki.ThrowIfNotEmpty();

        if (tbs.HasData && tbs.PeekTag().HasSameClassAndValue(new Asn1Tag(TagClass.ContextSpecific, 1)))
        {
            tbs.ReadEncodedValue();
        }

        if (tbs.HasData && tbs.PeekTag().HasSameClassAndValue(new Asn1Tag(TagClass.ContextSpecific, 2)))
        {
            tbs.ReadEncodedValue();
        }

        var extensions = new List<CertificateExtension>();
        if (tbs.HasData)
        {
            var wrapper = tbs.ReadSequence(new Asn1Tag(TagClass.ContextSpecific, 3, isConstructed: true));
            var sequence = wrapper.ReadSequence();
            wrapper.ThrowIfNotEmpty();
            if (version != 2)
            {
                throw new AsnContentException("Extensions in a certificate that is not version 3.");
            }

            while (sequence.HasData)
            {
                var extension = sequence.ReadSequence();
                var oid = extension.ReadObjectIdentifier();
                var critical = extension.HasData && extension.PeekTag().HasSameClassAndValue(Asn1Tag.Boolean) && extension.ReadBoolean();
                var value = extension.ReadOctetString();
                extension.ThrowIfNotEmpty();
                extensions.Add(new CertificateExtension(oid, critical, value));
            }

            if (extensions.Count == 0)
            {
                throw new AsnContentException("An empty extensions sequence.");
            }
        }

        tbs.ThrowIfNotEmpty();
        Extensions = extensions;
        Key = KeyJudge.Describe(KeyAlgorithm, KeyParameters, KeyBits.Span);
        DecodeExtensions();
    }

    private void DecodeExtensions()
    {
        var problems = new List<ParseProblem>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var extension in Extensions)
        {
            if (!seen.Add(extension.Oid))
            {
                problems.Add(new(MtlsRejectionReason.DuplicateExtension, $"carries the extension {X509Oids.Describe(extension.Oid)} twice (RFC 5280 §4.2)"));
                continue;
            }

            try
            {
                Decode(extension);
            }
            catch (Exception ex) when (ex is AsnContentException or CryptographicException or ArgumentException)
            {
                if (extension.Oid == X509Oids.SubjectAltName && SubjectAltNames is null)
                {
                    SubjectAltNamesError = ex.Message;
                }

                problems.Add(new(MtlsRejectionReason.MalformedExtension, $"has a malformed {X509Oids.Describe(extension.Oid)} extension ({ex.Message})"));
                continue;
            }

            if (extension.Critical && !ProcessedCriticalExtensions.Contains(extension.Oid))
            {
                problems.Add(new(MtlsRejectionReason.UnrecognizedCriticalExtension, $"carries the critical extension {X509Oids.Describe(extension.Oid)}, which is not recognised (RFC 5280 §4.2)"));
            }
        }

        Problems = problems;
    }

    private void Decode(CertificateExtension extension)
    {
        var reader = new AsnReader(extension.Value, AsnEncodingRules.DER);
        switch (extension.Oid)
        {
            case X509Oids.BasicConstraints:
            {
                var sequence = reader.ReadSequence();
                var isCa = sequence.HasData && sequence.PeekTag().HasSameClassAndValue(Asn1Tag.Boolean) && sequence.ReadBoolean();
                int? pathLength = null;
                if (sequence.HasData)
                {
                    if (!sequence.TryReadInt32(out var value) || value < 0)
                    {
                        throw new AsnContentException("pathLenConstraint is negative or too large");
                    }

                    pathLength = value;
                }

                sequence.ThrowIfNotEmpty();
                BasicConstraints = new(extension.Critical, isCa, pathLength);
                break;
            }

            case X509Oids.KeyUsage:
            {
                var bits = reader.ReadBitString(out _);
                if (bits.Length is 0 or > 2)
                {
                    throw new AsnContentException("keyUsage is empty or too long");
                }

                var flags = bits[0] | (bits.Length > 1 ? bits[1] << 8 : 0);
                if (flags == 0)
                {
                    throw new AsnContentException("keyUsage asserts no bit");
                }

                KeyUsage = (X509KeyUsageFlags)flags;
                break;
            }

            case X509Oids.ExtendedKeyUsage:
            {
                var sequence = reader.ReadSequence();
                var list = new List<string>();
                while (sequence.HasData)
                {
                    list.Add(sequence.ReadObjectIdentifier());
                }

                if (list.Count == 0)
                {
                    throw new AsnContentException("extendedKeyUsage is empty");
                }

                ExtendedKeyUsages = list;
                break;
            }

            case X509Oids.SubjectKeyIdentifier:
                SubjectKeyId = reader.ReadOctetString();
                if (SubjectKeyId.Length == 0)
                {
                    throw new AsnContentException("an empty key identifier");
                }

                break;

            case X509Oids.AuthorityKeyIdentifier:
            {
                var sequence = reader.ReadSequence();
                byte[]? keyId = null;
                bool hasIssuer = false, hasSerial = false;
                if (sequence.HasData && sequence.PeekTag().HasSameClassAndValue(new Asn1Tag(TagClass.ContextSpecific, 0)))
                {
                    keyId = sequence.ReadOctetString(new Asn1Tag(TagClass.ContextSpecific, 0));
                }

                if (sequence.HasData && sequence.PeekTag().HasSameClassAndValue(new Asn1Tag(TagClass.ContextSpecific, 1)))
                {
                    var names = sequence.ReadSequence(new Asn1Tag(TagClass.ContextSpecific, 1));
                    while (names.HasData)
                    {
                        GeneralName.Read(names);
                    }

                    hasIssuer = true;
                }

                if (sequence.HasData && sequence.PeekTag().HasSameClassAndValue(new Asn1Tag(TagClass.ContextSpecific, 2)))
                {
                    sequence.ReadIntegerBytes(new Asn1Tag(TagClass.ContextSpecific, 2));
                    hasSerial = true;
                }

                sequence.ThrowIfNotEmpty();
                if (hasIssuer != hasSerial)
                {
                    throw new AsnContentException("authorityCertIssuer and authorityCertSerialNumber must come together");
                }

                AuthorityKeyId = new(keyId, hasIssuer, hasSerial);
                break;
            }

            case X509Oids.SubjectAltName:
                SubjectAltNames = ReadSubjectAltNames(extension.Value);
                SubjectAltNamesCritical = extension.Critical;
                if (SubjectAltNames.Count == 0)
                {
                    // Decoded (an identity without names), yet judged malformed by the validator.
                    throw new AsnContentException("an empty GeneralNames sequence");
                }

                return;

            case X509Oids.NameConstraints:
            {
                var sequence = reader.ReadSequence();
                IReadOnlyList<GeneralSubtree>? permitted = null, excluded = null;
                if (sequence.HasData && sequence.PeekTag().HasSameClassAndValue(new Asn1Tag(TagClass.ContextSpecific, 0)))
                {
                    permitted = ReadSubtrees(sequence.ReadSequence(new Asn1Tag(TagClass.ContextSpecific, 0)));
                }

                if (sequence.HasData && sequence.PeekTag().HasSameClassAndValue(new Asn1Tag(TagClass.ContextSpecific, 1)))
                {
                    excluded = ReadSubtrees(sequence.ReadSequence(new Asn1Tag(TagClass.ContextSpecific, 1)));
                }

                sequence.ThrowIfNotEmpty();
                if (permitted is null && excluded is null)
                {
                    throw new AsnContentException("name constraints with neither permitted nor excluded subtrees (RFC 5280 §4.2.1.10)");
                }

                NameConstraints = new(permitted, excluded);
                break;
            }

            case X509Oids.AuthorityInfoAccess:
            {
                var sequence = reader.ReadSequence();
                var count = 0;
                while (sequence.HasData)
                {
                    var description = sequence.ReadSequence();
                    description.ReadObjectIdentifier();
                    GeneralName.Read(description);
                    description.ThrowIfNotEmpty();
                    count++;
                }

                if (count == 0)
                {
                    throw new AsnContentException("authorityInfoAccess is empty");
                }

                break;
            }

            default:
                return;
        }

        reader.ThrowIfNotEmpty();
    }

    /// <summary>
    /// The one decoder of a subjectAltName extension value (RFC 5280 §4.2.1.6), used both by the validator (name constraints,
    /// X509-SVID rules) and by <see cref="PeerIdentity"/>, so that authorization never sees names the validator did not judge.
    /// Strict DER; every GeneralName context-tagged and known; IA5 forms hold IA5 characters; an iPAddress is 4 or 16 octets.
    /// An empty sequence decodes to an empty list (the validator rejects it separately).
    /// </summary>
    /// <exception cref="AsnContentException">The value is malformed.</exception>
    public static List<GeneralName> ReadSubjectAltNames(ReadOnlyMemory<byte> value)
    {
        var reader = new AsnReader(value, AsnEncodingRules.DER);
        var sequence = reader.ReadSequence();
        reader.ThrowIfNotEmpty();
        var names = new List<GeneralName>();
        while (sequence.HasData)
        {
            var name = GeneralName.Read(sequence);
            if (name.Tag == GeneralName.Ip && name.Bytes.Length is not (4 or 16))
            {
                throw new AsnContentException($"an iPAddress of {name.Bytes.Length} octets (4 or 16 expected)");
            }

            names.Add(name);
        }

        return names;
    }

    private static List<GeneralSubtree> ReadSubtrees(AsnReader reader)
    {
        var list = new List<GeneralSubtree>();
        while (reader.HasData)
        {
            var subtree = reader.ReadSequence();
            var name = GeneralName.Read(subtree);
            var extra = subtree.HasData;
            if (subtree.HasData && subtree.PeekTag().HasSameClassAndValue(new Asn1Tag(TagClass.ContextSpecific, 0)))
            {
                subtree.ReadIntegerBytes(new Asn1Tag(TagClass.ContextSpecific, 0));
            }

            if (subtree.HasData && subtree.PeekTag().HasSameClassAndValue(new Asn1Tag(TagClass.ContextSpecific, 1)))
            {
                subtree.ReadIntegerBytes(new Asn1Tag(TagClass.ContextSpecific, 1));
            }

            subtree.ThrowIfNotEmpty();
            list.Add(new GeneralSubtree(name, extra));
        }

        if (list.Count == 0)
        {
            throw new AsnContentException("an empty subtree list (RFC 5280 §4.2.1.10)");
        }

        return list;
    }

    /// <summary>Reads an AlgorithmIdentifier (RFC 5280 §4.1.1.2): the OID and its parameters, if any. Shared with CRLs.</summary>
    internal static (string Oid, ReadOnlyMemory<byte>? Parameters) ReadAlgorithm(AsnReader reader)
    {
        var sequence = reader.ReadSequence();
        var oid = sequence.ReadObjectIdentifier();
        ReadOnlyMemory<byte>? parameters = sequence.HasData ? sequence.ReadEncodedValue() : null;
        sequence.ThrowIfNotEmpty();
        return (oid, parameters);
    }

    /// <summary>Reads a Time (UTCTime before 2050, GeneralizedTime after; RFC 5280 §4.1.2.5). Shared with CRLs.</summary>
    internal static DateTimeOffset ReadTime(AsnReader reader) =>
        reader.PeekTag().HasSameClassAndValue(Asn1Tag.UtcTime) ? reader.ReadUtcTime(2049) : reader.ReadGeneralizedTime();

    private static (IReadOnlyList<ReadOnlyMemory<byte>> Rdns, IReadOnlyList<string> CommonNames) ReadName(ReadOnlyMemory<byte> name)
    {
        var reader = new AsnReader(name, AsnEncodingRules.DER);
        var sequence = reader.ReadSequence();
        reader.ThrowIfNotEmpty();
        var rdns = new List<ReadOnlyMemory<byte>>();
        List<string>? commonNames = null;
        while (sequence.HasData)
        {
            var encoded = sequence.PeekEncodedValue();
            var set = sequence.ReadSetOf();
            if (!set.HasData)
            {
                throw new AsnContentException("An empty relative distinguished name.");
            }

            while (set.HasData)
            {
                var attribute = set.ReadSequence();
                var type = attribute.ReadObjectIdentifier();
                if (type == X509Oids.CommonName)
                {
                    var tag = attribute.PeekTag();
                    (commonNames ??= []).Add(tag.TagValue switch
                    {
                        (int)UniversalTagNumber.UTF8String => attribute.ReadCharacterString(UniversalTagNumber.UTF8String),
                        (int)UniversalTagNumber.PrintableString => attribute.ReadCharacterString(UniversalTagNumber.PrintableString),
                        (int)UniversalTagNumber.IA5String => attribute.ReadCharacterString(UniversalTagNumber.IA5String),
                        (int)UniversalTagNumber.BMPString => attribute.ReadCharacterString(UniversalTagNumber.BMPString),
                        (int)UniversalTagNumber.T61String => attribute.ReadCharacterString(UniversalTagNumber.T61String),
                        _ => Convert.ToHexString(attribute.ReadEncodedValue().Span),
                    });
                }
                else
                {
                    attribute.ReadEncodedValue();
                }

                attribute.ThrowIfNotEmpty();
            }

            rdns.Add(encoded);
        }

        return (rdns, commonNames ?? (IReadOnlyList<string>)[]);
    }

    /// <summary>Whether two optional encodings are byte-for-byte equal (both absent counts as equal). Shared with CRLs.</summary>
    internal static bool SameBytes(ReadOnlyMemory<byte>? a, ReadOnlyMemory<byte>? b) =>
        a.HasValue == b.HasValue && (!a.HasValue || a.Value.Span.SequenceEqual(b!.Value.Span));

    /// <summary>The serial number's magnitude in octets (a single sign-padding zero is not counted) and its sign.</summary>
    public (int Octets, bool Positive) SerialFacts()
    {
        var span = Serial.Span;
        var value = new BigInteger(span, isUnsigned: false, isBigEndian: true);
        var octets = span.Length > 1 && span[0] == 0 ? span.Length - 1 : span.Length;
        return (octets, value.Sign > 0);
    }
}
