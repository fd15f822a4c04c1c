using System.Formats.Asn1;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Time.Testing;
using Mtls.Extensions.Testing;
using Mtls.Extensions.Validation.Internal;

namespace Mtls.Extensions.Tests;

/// <summary>
/// Issue 22 item 5: the names authorization sees (<see cref="PeerIdentity"/>) are the names name constraints and the
/// X509-SVID rules judge (<see cref="ParsedCertificate.SubjectAltNames"/>), for SAN encodings where two decoders could
/// disagree. Every leaf is issued under a CA with name constraints, so the constraint checker really runs on it.
/// </summary>
public sealed class PeerIdentitySanAgreementTests : IDisposable
{
    private const string San = "2.5.29.17";

    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 22, 12, 0, 0, TimeSpan.Zero));
    private readonly TestCertificateAuthority _root;
    private readonly TestCertificateAuthority _constrained;
    private readonly TrustBundle _trust;

    public PeerIdentitySanAgreementTests()
    {
        _root = TestPki.CreateRoot("Agreement Root", timeProvider: _time);
        _constrained = _root.CreateIntermediate("Constrained CA", o =>
        {
            o.PermittedDnsSubtrees.Add("example.org");
            o.PermittedSubtrees.Add("uri:example.org");
            o.PermittedSubtrees.Add("email:example.org");
        });
        _trust = _root.ToTrustBundle();
    }

    public void Dispose()
    {
        _constrained.Dispose();
        _root.Dispose();
    }

    /// <summary>SAN extensions (each a list of GeneralName writers) that decode; the names must agree everywhere.</summary>
    public static TheoryData<string> Decodable() =>
    [
        "duplicate-san-extensions",
        "other-name",
        "ia5-control-characters",
        "ia5-nul",
        "ipv4-mapped-ipv6",
        "uri-trailing-dot",
        "uri-upper-case-scheme",
        "every-form",
        "empty-sequence",
    ];

    private static X509Extension[] Sans(string kind) => kind switch
    {
        "duplicate-san-extensions" => [SanOf("dns:a.example.org", "uri:spiffe://example.org/a"), SanOf("dns:evil.com", "uri:spiffe://evil.com/b")],
        "other-name" => [SanOf(OtherName("1.3.6.1.4.1.311.20.2.3", "admin@evil.com"), Typed("dns:a.example.org"), OtherName("1.3.6.1.5.5.7.8.4", "spiffe://evil.com/x"))],
        "ia5-control-characters" => [SanOf("dns:a\u001b[31m.example.org", "uri:spiffe://example.org/a\r\nb", "email:a\tb@example.org")],
        "ia5-nul" => [SanOf("dns:evil.com\0.example.org", "uri:spiffe://example.org/\0evil")],
        "ipv4-mapped-ipv6" => [SanOf("raw-ip:00000000000000000000FFFF7F000001", "raw-ip:7F000001", "dns:a.example.org")],
        "uri-trailing-dot" => [SanOf("uri:spiffe://example.org./ns/x")],
        "uri-upper-case-scheme" => [SanOf("uri:SPIFFE://example.org/ns/x")],
        "every-form" => [SanOf("dns:a.example.org", "dns:b.example.org", "uri:https://example.org/x", "email:a@example.org", "raw-ip:0A000001", "dn:CN=someone, O=example")],
        "empty-sequence" => [new X509Extension(San, [0x30, 0x00], false)],
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown case"),
    };

    [Theory]
    [MemberData(nameof(Decodable))]
    public void PeerIdentity_TrickySanEncoding_ExposesExactlyTheNamesTheConstraintCheckerSees(string kind)
    {
        using var leaf = Issue(Sans(kind));
        var parsed = ParsedCertificate.Parse(leaf.Certificate.RawData, CertificateHash.Of(leaf.Certificate.RawData), leaf.Certificate.Subject);
        Assert.Null(parsed.SubjectAltNamesError);
        var judged = Project(parsed.SubjectAltNames ?? []);

        var result = Validate(leaf);
        Assert.True(result.Identity is not null, $"{kind}: {result}");
        Assert.Equal(judged, Project(result.Identity));
        Assert.Equal(judged, Project(PeerIdentity.FromCertificate(leaf.Certificate)));
    }

    [Fact]
    public void PeerIdentity_DuplicateSanExtensions_FirstOneOnlyAndTheLeafRejected()
    {
        using var leaf = Issue(Sans("duplicate-san-extensions"));

        var result = Validate(leaf);

        Assert.Equal(MtlsRejectionReason.DuplicateExtension, result.Reason);
        Assert.Equal(["a.example.org"], result.Identity!.DnsNames);
        Assert.Equal(["spiffe://example.org/a"], result.Identity.Uris);
    }

    [Fact]
    public void PeerIdentity_NulInDnsName_RejectedByTheConstraintCheckerThatSawTheSameName()
    {
        using var leaf = Issue(Sans("ia5-nul"));

        var result = Validate(leaf);

        Assert.False(result.IsValid);
        Assert.Contains("evil.com\0.example.org", result.Identity!.DnsNames);
    }

    [Theory]
    [InlineData("raw-ip:7F00000101", "5 octets")]
    [InlineData("raw-ip:7F000001FFFFFFFF", "8 octets")]
    [InlineData("raw-ip:", "0 octets")]
    [InlineData("raw-ip:00000000000000000000FFFF7F00", "14 octets")]
    public void PeerIdentity_NonCanonicalIpAddressLength_RejectedAsMalformedCertificateEverywhere(string ip, string mentions)
    {
        using var leaf = Issue([SanOf("dns:a.example.org", ip)]);

        var parsed = ParsedCertificate.Parse(leaf.Certificate.RawData, CertificateHash.Of(leaf.Certificate.RawData), leaf.Certificate.Subject);
        Assert.Null(parsed.SubjectAltNames);
        Assert.Contains(mentions, parsed.SubjectAltNamesError, StringComparison.Ordinal);
        var thrown = Assert.Throws<CryptographicException>(() => PeerIdentity.FromCertificate(leaf.Certificate));
        Assert.Contains(mentions, thrown.Message, StringComparison.Ordinal);

        var result = Validate(leaf);
        Assert.Equal(MtlsRejectionReason.MalformedCertificate, result.Reason);
        Assert.Contains($"subject alternative name extension is malformed: an iPAddress of {mentions}", result.Message, StringComparison.Ordinal);
        Assert.Null(result.Identity);
    }

    [Theory]
    [InlineData("not-context-tagged")]
    [InlineData("unknown-tag")]
    [InlineData("trailing-bytes")]
    [InlineData("non-ia5-dns")]
    public void PeerIdentity_MalformedSan_RejectedAsMalformedCertificate(string kind)
    {
        byte[] value = kind switch
        {
            "not-context-tagged" => [0x30, 0x05, 0x16, 0x03, 0x61, 0x2E, 0x62],
            "unknown-tag" => [0x30, 0x05, 0x89, 0x03, 0x61, 0x2E, 0x62],
            "trailing-bytes" => [0x30, 0x05, 0x82, 0x03, 0x61, 0x2E, 0x62, 0x00],
            "non-ia5-dns" => [0x30, 0x05, 0x82, 0x03, 0x61, 0xC3, 0xA9],
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown case"),
        };
        using var leaf = Issue([new X509Extension(San, value, false)]);

        Assert.Throws<CryptographicException>(() => PeerIdentity.FromCertificate(leaf.Certificate));
        var result = Validate(leaf);
        Assert.Equal(MtlsRejectionReason.MalformedCertificate, result.Reason);
        Assert.Contains("subject alternative name extension is malformed", result.Message, StringComparison.Ordinal);
    }

    private TestCertificate Issue(X509Extension[] sans) => _constrained.IssueLeaf("orders", o =>
    {
        o.ForClient();
        o.Uris.Clear();
        o.DnsNames.Clear();
        o.OmitExtensions.Add(San);
        foreach (var extension in sans)
        {
            o.ExtraExtensions.Add(extension);
        }
    });

    private PeerValidationResult Validate(TestCertificate leaf) =>
        new PeerCertificateValidator(_time).Validate(leaf.PublicCopy(), leaf.IntermediatesCollection(), _trust, PeerRole.Client);

    private static Action<AsnWriter> Typed(string name) => w => TestPki.WriteGeneralName(w, name);

    private static Action<AsnWriter> OtherName(string oid, string value) => w =>
    {
        using (w.PushSequence(new Asn1Tag(TagClass.ContextSpecific, 0, isConstructed: true)))
        {
            w.WriteObjectIdentifier(oid);
            using (w.PushSequence(new Asn1Tag(TagClass.ContextSpecific, 0, isConstructed: true)))
            {
                w.WriteCharacterString(UniversalTagNumber.UTF8String, value);
            }
        }
    };

    private static X509Extension SanOf(params string[] names) => SanOf([.. names.Select(Typed)]);

    private static X509Extension SanOf(params Action<AsnWriter>[] names) => TestPki.CreateExtension(San, false, w =>
    {
        using (w.PushSequence())
        {
            foreach (var name in names)
            {
                name(w);
            }
        }
    });

    /// <summary>The four forms PeerIdentity exposes, in certificate order; IPs as their octets.</summary>
    private static string Project(IReadOnlyList<GeneralName> names) => string.Join('\n', names
        .Where(n => n.Tag is GeneralName.Dns or GeneralName.Uri or GeneralName.Rfc822 or GeneralName.Ip)
        .GroupBy(n => n.Tag)
        .OrderBy(g => g.Key)
        .Select(g => $"{g.Key}: {string.Join(" | ", g.Select(n => n.Tag == GeneralName.Ip ? Convert.ToHexString(n.Bytes.Span) : n.Text))}"));

    private static string Project(PeerIdentity? identity) => identity is null ? "(none)" : string.Join('\n', new (int Tag, IEnumerable<string> Names)[]
        {
            (GeneralName.Rfc822, identity.EmailAddresses),
            (GeneralName.Dns, identity.DnsNames),
            (GeneralName.Uri, identity.Uris),
            (GeneralName.Ip, identity.IpAddresses.Select(a => Convert.ToHexString(a.GetAddressBytes()))),
        }
        .Where(g => g.Names.Any())
        .Select(g => $"{g.Tag}: {string.Join(" | ", g.Names)}"));
}
