using System.Formats.Asn1;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Time.Testing;
using Mtls.Extensions.Testing;
using Mtls.Extensions.Validation.Internal;

namespace Mtls.Extensions.Tests;

/// <summary>
/// RFC 5280 and CA/Browser Forum Baseline Requirements conformance of the path validator, one case per rule, each named
/// after its section. Every certificate is produced by the Testing PKI; the good ones pass every rule.
/// </summary>
public sealed class PathValidationConformanceTests : IDisposable
{
    private const string Orders = "spiffe://example.org/ns/prod/sa/orders";
    private const string Ski = "2.5.29.14";
    private const string Aki = "2.5.29.35";
    private const string San = "2.5.29.17";
    private const string Eku = "2.5.29.37";
    private const string KeyUsageOid = "2.5.29.15";
    private const string Aia = "1.3.6.1.5.5.7.1.1";
    private const string NameConstraintsOid = "2.5.29.30";

    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 22, 12, 0, 0, TimeSpan.Zero));
    private readonly TestCertificateAuthority _root;
    private readonly TestCertificateAuthority _issuing;
    private readonly TrustBundle _trust;
    private readonly List<IDisposable> _disposables = [];

    public PathValidationConformanceTests()
    {
        _root = TestPki.CreateRoot("Fleet Root", timeProvider: _time);
        _issuing = _root.CreateIntermediate("Fleet Issuing CA");
        _trust = _root.ToTrustBundle();
    }

    public void Dispose()
    {
        foreach (var disposable in _disposables)
        {
            disposable.Dispose();
        }

        _issuing.Dispose();
        _root.Dispose();
    }

    // ---------- helpers ----------

    private T Keep<T>(T disposable)
        where T : IDisposable
    {
        _disposables.Add(disposable);
        return disposable;
    }

    private PeerCertificateValidator Sut() => new(_time);

    private TestCertificate Leaf(Action<TestCertificateOptions>? configure = null, TestCertificateAuthority? issuer = null) =>
        Keep((issuer ?? _issuing).IssueLeaf("orders", o =>
        {
            o.ForClient().WithSpiffeId(Orders);
            configure?.Invoke(o);
        }));

    private TestCertificateAuthority Intermediate(Action<TestCertificateOptions> configure, string name = "Bad CA") =>
        Keep(_root.CreateIntermediate(name, configure));

    private TestCertificateAuthority Root(Action<TestCertificateOptions>? configure = null, string name = "Other Root") =>
        Keep(TestPki.CreateRoot(name, configure, _time));

    private PeerValidationResult Client(TestCertificate leaf, PeerValidationOptions? options = null, TrustBundle? trust = null, X509Certificate2Collection? sent = null) =>
        Sut().Validate(leaf.PublicCopy(), sent ?? leaf.IntermediatesCollection(), trust ?? _trust, PeerRole.Client, options);

    private PeerValidationResult Server(TestCertificate leaf, string host, PeerValidationOptions? options = null) =>
        Sut().Validate(leaf.PublicCopy(), leaf.IntermediatesCollection(), _trust, PeerRole.Server, options, host);

    private static void Accepted(PeerValidationResult result) => Assert.True(result.IsValid, result.ToString());

    private static void Rejected(PeerValidationResult result, MtlsRejectionReason expected, string? mentions = null)
    {
        Assert.False(result.IsValid, $"expected {expected}, but the certificate was accepted");
        Assert.True(expected == result.Reason, $"expected {expected}, got {result}");
        if (mentions is not null)
        {
            Assert.Contains(mentions, result.Message, StringComparison.Ordinal);
        }
    }

    private PeerValidationResult ClientUnder(TestCertificateAuthority intermediate, Action<TestCertificateOptions>? leaf = null, PeerValidationOptions? options = null) =>
        Client(Leaf(leaf, intermediate), options);

    private PeerValidationResult ClientUnderRoot(TestCertificateAuthority root, Action<TestCertificateOptions>? leaf = null, PeerValidationOptions? options = null) =>
        Client(Leaf(leaf, root), options, Keep(root.PublicCopy()) is var anchor ? TrustBundle.Create([anchor]) : null);

    private static X509Extension Raw(string oid, bool critical, params byte[] value) => new(oid, value, critical);

    private static X509Extension NameConstraints(Action<AsnWriter> write) => TestPki.CreateExtension(NameConstraintsOid, true, write);

    private static byte[] KeyId(TestCertificateAuthority ca) => ca.Certificate.Extensions.OfType<X509SubjectKeyIdentifierExtension>().Single().SubjectKeyIdentifierBytes.ToArray();

    private static X509Extension AuthorityKeyId(byte[] keyId, bool critical = false) => TestPki.CreateExtension(Aki, critical, w =>
    {
        using (w.PushSequence())
        {
            w.WriteOctetString(keyId, new Asn1Tag(TagClass.ContextSpecific, 0));
        }
    });

    private static PeerValidationOptions Options(Action<PeerValidationOptions> configure)
    {
        var options = new PeerValidationOptions();
        configure(options);
        return options;
    }

    // ---------- the good path ----------

    [Fact]
    public void TestPki_DefaultChain_PassesEveryRule() => Accepted(Client(Leaf()));

    [Fact]
    public void TestPki_LocalhostServer_PassesEveryRuleIncludingCommonName() =>
        Accepted(Server(Keep(_issuing.IssueLocalhostServer("inventory")), "localhost"));

    // ---------- RFC 5280 §4.1.2.2 serial number ----------

    [Fact]
    public void Rfc5280SerialNumber_Zero_Rejected() => Rejected(Client(Leaf(o => o.SerialNumber = [0x00])), MtlsRejectionReason.InvalidSerialNumber);

    [Fact]
    public void Rfc5280SerialNumber_Negative_Rejected() => Rejected(Client(Leaf(o => o.SerialNumber = [0xFF, 0x01])), MtlsRejectionReason.InvalidSerialNumber);

    [Fact]
    public void Rfc5280SerialNumber_TwentyOneOctets_Rejected() => Rejected(Client(Leaf(o => o.SerialNumber = [0x01, .. new byte[20]])), MtlsRejectionReason.InvalidSerialNumber);

    [Fact]
    public void Rfc5280SerialNumber_TwentyOctets_Accepted() => Accepted(Client(Leaf(o => o.SerialNumber = [0x7F, .. Enumerable.Repeat((byte)0xAB, 19)])));

    [Fact]
    public void Rfc5280SerialNumber_TwentyOctetsWithSignPadding_Accepted() => Accepted(Client(Leaf(o => o.SerialNumber = [0x00, 0x80, .. Enumerable.Repeat((byte)0xAB, 19)])));

    [Fact]
    public void Rfc5280SerialNumber_IntermediateNegative_Rejected() =>
        Rejected(ClientUnder(Intermediate(o => o.SerialNumber = [0x80, 0x01])), MtlsRejectionReason.InvalidSerialNumber, "Bad CA");

    [Fact]
    public void Rfc5280TrustAnchor_PinnedRootWithSerialZero_Accepted() =>
        // §6.1.1: the anchor is trusted for its name and key; how it was issued is not judged (Starfield Root G2 has serial 0).
        Accepted(ClientUnderRoot(Root(o => o.SerialNumber = [0x00], "Zero Root")));

    [Fact]
    public void Rfc5280SerialNumber_IntermediateZero_RejectedNamingTheIntermediate() =>
        Rejected(ClientUnder(Intermediate(o => o.SerialNumber = [0x00], "Zero CA")), MtlsRejectionReason.InvalidSerialNumber, "intermediate CN=Zero CA");

    // ---------- RFC 5280 §4.1.2.5 validity ----------

    [Fact]
    public void Rfc5280Validity_AtTheNotAfterSecond_Accepted()
    {
        var leaf = Leaf(o => o.NotAfter = _time.GetUtcNow().AddMinutes(10));
        _time.Advance(TimeSpan.FromMinutes(10) + TimeSpan.FromMilliseconds(500));
        Accepted(Client(leaf));
    }

    [Fact]
    public void Rfc5280Validity_OneSecondAfterNotAfter_Expired()
    {
        var leaf = Leaf(o => o.NotAfter = _time.GetUtcNow().AddMinutes(10));
        _time.Advance(TimeSpan.FromMinutes(10) + TimeSpan.FromSeconds(1));
        Rejected(Client(leaf), MtlsRejectionReason.Expired);
    }

    [Fact]
    public void Rfc5280Validity_AtNotBefore_Accepted() => Accepted(Client(Leaf(o => o.NotBefore = _time.GetUtcNow())));

    [Fact]
    public void Rfc5280Validity_BeforeNotBefore_NotYetValid() => Rejected(Client(Leaf(o => o.NotBefore = _time.GetUtcNow().AddSeconds(1))), MtlsRejectionReason.NotYetValid);

    [Fact]
    public void Rfc5280Validity_GeneralizedTimeAfter2049_Accepted() => Accepted(Client(Leaf(o => o.NotAfter = new DateTimeOffset(2051, 1, 1, 0, 0, 0, TimeSpan.Zero)), Options(p => { })));

    [Fact]
    public void Rfc5280PathValidity_ExpiredAnchor_Expired() =>
        Rejected(ClientUnderRoot(Root(o => o.ValidBetween(_time.GetUtcNow().AddDays(-30), _time.GetUtcNow().AddDays(-1)), "Old Root")), MtlsRejectionReason.Expired, "pinned CA CN=Old Root");

    [Fact]
    public void Rfc5280PathValidity_ExpiredIntermediate_Expired() =>
        Rejected(ClientUnder(Intermediate(o => o.ValidBetween(_time.GetUtcNow().AddDays(-30), _time.GetUtcNow().AddDays(-1)))), MtlsRejectionReason.Expired, "Bad CA");

    // ---------- RFC 5280 §4.1.2.6 / §4.2.1.6 subject ----------

    [Fact]
    public void Rfc5280Subject_CaWithEmptySubject_Rejected() =>
        Rejected(ClientUnder(Intermediate(o => { o.Subject = ""; o.WithDnsNames("ca.example.org"); })), MtlsRejectionReason.InvalidSubjectName);

    [Fact]
    public void Rfc5280SubjectAltName_EmptySubjectWithCriticalSan_Accepted() => Accepted(Client(Leaf(o => o.Subject = "")));

    [Fact]
    public void Rfc5280SubjectAltName_EmptySubjectWithNonCriticalSan_Rejected() =>
        Rejected(Client(Leaf(o => { o.Subject = ""; o.SubjectAltNameCritical = false; })), MtlsRejectionReason.InvalidSubjectName);

    [Fact]
    public void Rfc5280SubjectAltName_SubjectWithCriticalSan_Rejected() =>
        Rejected(Client(Leaf(o => o.SubjectAltNameCritical = true)), MtlsRejectionReason.InvalidSubjectName);

    [Fact]
    public void Rfc5280SubjectAltName_EmptySubjectWithoutSan_Rejected() =>
        Rejected(Client(Keep(_issuing.IssueLeaf("x", o => { o.ForClient(); o.Subject = ""; }))), MtlsRejectionReason.InvalidSubjectName);

    // ---------- RFC 5280 §4.2 extensions ----------

    [Fact]
    public void Rfc5280Extensions_DuplicateInLeaf_Rejected() =>
        Rejected(Client(Leaf(o => o.ExtraExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(TestCertificateOptions.ClientAuth)], false)))), MtlsRejectionReason.DuplicateExtension);

    [Fact]
    public void Rfc5280Extensions_DuplicateInIntermediate_Rejected() =>
        Rejected(ClientUnder(Intermediate(o => o.ExtraExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true)))), MtlsRejectionReason.DuplicateExtension, "Bad CA");

    [Fact]
    public void Rfc5280Extensions_UnknownCritical_Rejected() =>
        Rejected(Client(Leaf(o => o.ExtraExtensions.Add(Raw("1.3.6.1.4.1.99999.1", true, 0x05, 0x00)))), MtlsRejectionReason.UnrecognizedCriticalExtension);

    [Fact]
    public void Rfc5280Extensions_UnknownNonCritical_Accepted() =>
        Accepted(Client(Leaf(o => o.ExtraExtensions.Add(Raw("1.3.6.1.4.1.99999.1", false, 0x05, 0x00)))));

    [Fact]
    public void Rfc5280Extensions_UnknownCriticalInAnchor_RejectedNamingThePinnedCa() =>
        Rejected(ClientUnderRoot(Root(o => o.ExtraExtensions.Add(Raw("1.3.6.1.4.1.99999.2", true, 0x05, 0x00)), "Odd Root")), MtlsRejectionReason.UnrecognizedCriticalExtension, "pinned CA CN=Odd Root");

    [Fact]
    public void Rfc5280Extensions_CriticalCertificatePolicies_Accepted() =>
        Accepted(Client(Leaf(o => o.ExtraExtensions.Add(TestPki.CreateExtension("2.5.29.32", true, w =>
        {
            using (w.PushSequence())
            using (w.PushSequence())
            {
                w.WriteObjectIdentifier("2.23.140.1.2.1");
            }
        })))));

    [Fact]
    public void Rfc5280AuthorityInfoAccess_Malformed_Rejected() =>
        Rejected(Client(Leaf(o => o.ExtraExtensions.Add(Raw(Aia, false, 0x30, 0x03, 0x06, 0x01, 0x2B)))), MtlsRejectionReason.MalformedExtension, "authorityInfoAccess");

    [Fact]
    public void Rfc5280AuthorityInfoAccess_Empty_Rejected() =>
        Rejected(Client(Leaf(o => o.ExtraExtensions.Add(Raw(Aia, false, 0x30, 0x00)))), MtlsRejectionReason.MalformedExtension);

    [Fact]
    public void Rfc5280AuthorityInfoAccess_WellFormed_AcceptedAndNeverFetched() =>
        Accepted(Client(Leaf(o => o.CaIssuersUrl = new Uri("http://127.0.0.1:9/ca.cer"))));

    [Fact]
    public void Rfc5280KeyUsage_Malformed_Rejected() =>
        Rejected(Client(Leaf(o => { o.KeyUsage = X509KeyUsageFlags.None; o.ExtraExtensions.Add(Raw(KeyUsageOid, true, 0x04, 0x01, 0x00)); })), MtlsRejectionReason.MalformedExtension);

    [Fact]
    public void Rfc5280SubjectAltName_EmptySequence_Rejected() =>
        Rejected(Client(Leaf(o => { o.Uris.Clear(); o.ExtraExtensions.Add(Raw(San, false, 0x30, 0x00)); })), MtlsRejectionReason.MalformedExtension);

    [Fact]
    public void Rfc5280ExtendedKeyUsage_Empty_Rejected() =>
        Rejected(Client(Leaf(o => { o.WithoutExtendedKeyUsage(); o.ExtraExtensions.Add(Raw(Eku, false, 0x30, 0x00)); })), MtlsRejectionReason.MalformedExtension);

    // ---------- RFC 5280 §4.2.1.1 authority key identifier ----------

    [Fact]
    public void Rfc5280AuthorityKeyId_LeafWithoutAki_Rejected() =>
        Rejected(Client(Leaf(o => o.OmitExtensions.Add(Aki))), MtlsRejectionReason.MissingKeyIdentifier, "AllowMissingKeyIdentifiers");

    [Fact]
    public void Rfc5280AuthorityKeyId_LeafWithoutAkiWhenMissingKeyIdentifiersAllowed_Accepted() =>
        Accepted(Client(Leaf(o => o.OmitExtensions.Add(Aki)), Options(p => p.AllowMissingKeyIdentifiers = true)));

    [Fact]
    public void Rfc5280AuthorityKeyId_IntermediateWithoutAki_Rejected() =>
        Rejected(ClientUnder(Intermediate(o => o.OmitExtensions.Add(Aki))), MtlsRejectionReason.MissingKeyIdentifier, "Bad CA");

    [Fact]
    public void Rfc5280AuthorityKeyId_WithoutKeyIdentifier_Rejected() =>
        Rejected(Client(Leaf(o =>
        {
            o.OmitExtensions.Add(Aki);
            o.ExtraExtensions.Add(TestPki.CreateExtension(Aki, false, w =>
            {
                using (w.PushSequence())
                {
                    using (w.PushSequence(new Asn1Tag(TagClass.ContextSpecific, 1)))
                    {
                        TestPki.WriteGeneralName(w, "dn:CN=Fleet Root");
                    }

                    w.WriteInteger(7, new Asn1Tag(TagClass.ContextSpecific, 2));
                }
            }));
        })), MtlsRejectionReason.MissingKeyIdentifier);

    [Fact]
    public void CabfBrAuthorityKeyId_CaAkiWithIssuerAndSerialUnderWebPki_Rejected() =>
        Rejected(ClientUnder(Intermediate(o => o.AuthorityKeyIdentifierWithIssuerAndSerial = true), options: Options(p => p.Profile = MtlsValidationProfile.WebPki)), MtlsRejectionReason.InvalidKeyIdentifier, "authorityCertIssuer");

    [Fact]
    public void CabfBrAuthorityKeyId_CaAkiWithIssuerAndSerialUnderRfc5280_Accepted() =>
        Accepted(ClientUnder(Intermediate(o => o.AuthorityKeyIdentifierWithIssuerAndSerial = true)));

    [Fact]
    public void Rfc5280AuthorityKeyId_LeafAkiWithIssuerAndSerial_Accepted() =>
        Accepted(Client(Leaf(o => o.AuthorityKeyIdentifierWithIssuerAndSerial = true)));

    [Fact]
    public void Rfc5280TrustAnchor_PinnedRootAkiDiffersFromSki_Accepted() =>
        // §6.1.1: the anchor's own key identifiers are not judged.
        Accepted(ClientUnderRoot(Root(o => o.ExtraExtensions.Add(AuthorityKeyId([1, 2, 3, 4]))), null));

    [Fact]
    public void Rfc5280AuthorityKeyId_SelfSignedAkiEqualsSki_Accepted() =>
        Accepted(ClientUnderRoot(Root(o =>
        {
            o.OmitExtensions.Add(Ski);
            o.ExtraExtensions.Add(new X509SubjectKeyIdentifierExtension([9, 8, 7, 6], false));
            o.ExtraExtensions.Add(AuthorityKeyId([9, 8, 7, 6]));
        })));

    [Fact]
    public void Rfc5280AuthorityKeyId_Critical_Rejected() =>
        Rejected(Client(Leaf(o => { o.OmitExtensions.Add(Aki); o.ExtraExtensions.Add(AuthorityKeyId(KeyId(_issuing), critical: true)); })), MtlsRejectionReason.InvalidKeyIdentifier);

    [Fact]
    public void Rfc5280TrustAnchor_PinnedIntermediateWithoutAki_Accepted()
    {
        var pinned = Intermediate(o => o.OmitExtensions.Add(Aki), "Pinned Issuing CA");
        // §6.1.1: a pinned intermediate is an anchor, trusted for its name and key; its own AKI is not judged.
        Accepted(Client(Leaf(issuer: pinned), trust: TrustBundle.Create([Keep(pinned.PublicCopy())])));
    }

    // ---------- RFC 5280 §4.2.1.2 subject key identifier ----------

    [Fact]
    public void Rfc5280SubjectKeyId_IntermediateWithoutSki_Rejected() =>
        Rejected(ClientUnder(Intermediate(o => o.OmitExtensions.Add(Ski))), MtlsRejectionReason.MissingKeyIdentifier, "subjectKeyIdentifier");

    [Fact]
    public void Rfc5280TrustAnchor_PinnedRootWithoutSki_OnlyTheLeafsMissingAkiReported() =>
        // The anchor's own missing SKI is not judged (§6.1.1); the leaf it issued without an AKI keyIdentifier still is.
        Rejected(ClientUnderRoot(Root(o => o.OmitExtensions.Add(Ski))), MtlsRejectionReason.MissingKeyIdentifier, "has no authorityKeyIdentifier");


    [Fact]
    public void Rfc5280SubjectKeyId_RootWithoutSkiWhenMissingKeyIdentifiersAllowed_Accepted() =>
        Accepted(ClientUnderRoot(Root(o => o.OmitExtensions.Add(Ski)), options: Options(p => p.AllowMissingKeyIdentifiers = true)));

    [Fact]
    public void Rfc5280SubjectKeyId_LeafWithoutSki_Accepted() => Accepted(Client(Leaf(o => o.OmitExtensions.Add(Ski))));

    [Fact]
    public void Rfc5280SubjectKeyId_Critical_Rejected() =>
        Rejected(ClientUnder(Intermediate(o => { o.OmitExtensions.Add(Ski); o.ExtraExtensions.Add(new X509SubjectKeyIdentifierExtension([1, 2, 3], true)); })), MtlsRejectionReason.InvalidKeyIdentifier);

    // ---------- RFC 5280 §4.2.1.3 key usage ----------

    [Fact]
    public void Rfc5280KeyUsage_LeafAssertsKeyCertSign_Rejected() =>
        Rejected(Client(Leaf(o => o.KeyUsage = X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyCertSign)), MtlsRejectionReason.KeyUsageNotAllowed, "keyCertSign");

    [Fact]
    public void Rfc5280KeyUsage_LeafAssertsCrlSign_Rejected() =>
        Rejected(Client(Leaf(o => o.KeyUsage = X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.CrlSign)), MtlsRejectionReason.KeyUsageNotAllowed);

    [Fact]
    public void Rfc5280KeyUsage_CaWithoutKeyCertSign_Rejected() =>
        Rejected(ClientUnder(Intermediate(o => o.KeyUsage = X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.CrlSign)), MtlsRejectionReason.KeyUsageNotAllowed, "Bad CA");

    [Fact]
    public void Rfc5280KeyUsage_CaWithoutTheExtension_Accepted() => Accepted(ClientUnder(Intermediate(o => o.KeyUsage = X509KeyUsageFlags.None)));

    [Fact]
    public void Rfc5280KeyUsage_LeafWithoutDigitalSignature_Rejected() =>
        Rejected(Client(Leaf(o => o.KeyUsage = X509KeyUsageFlags.NonRepudiation)), MtlsRejectionReason.KeyUsageNotAllowed, "digitalSignature");

    [Fact]
    public void Rfc5280KeyUsage_LeafWithoutTheExtension_Accepted() => Accepted(Client(Leaf(o => o.KeyUsage = X509KeyUsageFlags.None)));

    // ---------- RFC 5280 §4.2.1.9 basic constraints, §6.1.4 path length ----------

    [Fact]
    public void Rfc5280BasicConstraints_NotCritical_Rejected() =>
        Rejected(ClientUnder(Intermediate(o => o.BasicConstraintsCritical = false)), MtlsRejectionReason.InvalidBasicConstraints, "Bad CA");

    [Fact]
    public void Rfc5280BasicConstraints_AnchorsNotCritical_RejectedNamingThePinnedCa() =>
        Rejected(ClientUnderRoot(Root(o => o.BasicConstraintsCritical = false, "Lax Root")), MtlsRejectionReason.InvalidBasicConstraints, "pinned CA CN=Lax Root");

    [Fact]
    public void Rfc5280BasicConstraints_MissingInIntermediate_Rejected() =>
        Rejected(ClientUnder(Intermediate(o => o.OmitBasicConstraints = true)), MtlsRejectionReason.IntermediateNotCa);

    [Fact]
    public void Rfc5280BasicConstraints_IntermediateWithCaFalse_Rejected() =>
        Rejected(ClientUnder(Intermediate(o => { o.IsCa = false; o.KeyUsage = X509KeyUsageFlags.DigitalSignature; })), MtlsRejectionReason.IntermediateNotCa);

    [Fact]
    public void Rfc5280BasicConstraints_PathLengthWithoutCa_Rejected() =>
        Rejected(Client(Leaf(o => { o.OmitBasicConstraints = true; o.ExtraExtensions.Add(new X509BasicConstraintsExtension(false, true, 0, true)); })), MtlsRejectionReason.InvalidBasicConstraints);

    [Fact]
    public void Rfc5280BasicConstraints_LeafWithNonCriticalCaFalse_Accepted() => Accepted(Client(Leaf(o => o.BasicConstraintsCritical = false)));

    [Fact]
    public void Rfc5280BasicConstraints_LeafIsCa_Rejected() => Rejected(Client(Leaf(o => { o.IsCa = true; o.KeyUsage = X509KeyUsageFlags.DigitalSignature; })), MtlsRejectionReason.LeafIsCa);

    [Fact]
    public void Rfc5280PathLength_ZeroAboveLeaf_Accepted() => Accepted(ClientUnder(Intermediate(o => o.PathLength = 0)));

    [Fact]
    public void Rfc5280PathLength_ZeroExceeded_Rejected()
    {
        var limited = Intermediate(o => o.PathLength = 0, "Limited CA");
        Rejected(ClientUnder(Keep(limited.CreateIntermediate("Below Limited CA"))), MtlsRejectionReason.PathLengthExceeded, "Limited CA");
    }

    [Fact]
    public void Rfc5280PathLength_AnchorsExceeded_Rejected()
    {
        var root = Root(o => o.PathLength = 0, "Short Root");
        var below = Keep(root.CreateIntermediate("Below Short Root"));
        Rejected(Client(Leaf(issuer: below), trust: TrustBundle.Create([Keep(root.PublicCopy())])), MtlsRejectionReason.PathLengthExceeded, "pinned CA CN=Short Root");
    }

    [Fact]
    public void Rfc5280PathLength_SelfIssuedIntermediateNotCounted_Accepted()
    {
        var root = Root(o => o.PathLength = 1, "Rollover Root");
        var newWithOld = Keep(root.CreateIntermediate("Rollover Root", o => o.Subject = "CN=Rollover Root"));
        var issuing = Keep(newWithOld.CreateIntermediate("Rollover Issuing CA"));
        Accepted(Client(Leaf(issuer: issuing), trust: TrustBundle.Create([Keep(root.PublicCopy())])));
    }

    // ---------- RFC 5280 §6.1 chain depth (MaxChainDepth) ----------

    [Fact]
    public void Rfc5280ChainDepth_AtMaximum_Accepted() => Accepted(Client(Leaf(), Options(p => p.MaxChainDepth = 2)));

    [Fact]
    public void Rfc5280ChainDepth_AnchorCountedBeyondMaximum_Rejected() => Rejected(Client(Leaf(), Options(p => p.MaxChainDepth = 1)), MtlsRejectionReason.ChainTooDeep);

    [Fact]
    public void Rfc5280ChainDepth_SelfIssuedIntermediateNotCounted_Accepted()
    {
        var root = Root(name: "Depth Root");
        var newWithOld = Keep(root.CreateIntermediate("Depth Root", o => o.Subject = "CN=Depth Root"));
        var issuing = Keep(newWithOld.CreateIntermediate("Depth Issuing CA"));
        Accepted(Client(Leaf(issuer: issuing), Options(p => p.MaxChainDepth = 2), TrustBundle.Create([Keep(root.PublicCopy())])));
    }

    [Fact]
    public void Rfc5280ChainDepth_DefaultMaximum_FourCasAcceptedFiveRejected()
    {
        var second = Keep(_issuing.CreateIntermediate("Second CA"));
        var third = Keep(second.CreateIntermediate("Third CA"));
        Accepted(Client(Leaf(issuer: third)));
        var fourth = Keep(third.CreateIntermediate("Fourth CA"));
        Rejected(Client(Leaf(issuer: fourth)), MtlsRejectionReason.ChainTooDeep);
    }

    // ---------- RFC 5280 §4.2.1.10 name constraints, evaluated by the library ----------

    private PeerValidationResult UnderConstraints(Action<TestCertificateOptions> ca, Action<TestCertificateOptions> leaf) =>
        ClientUnder(Intermediate(ca, "Constrained CA"), leaf);

    [Fact]
    public void Rfc5280NameConstraints_ManySubtreesAgainstManySans_RefusedByTheBudgetQuickly()
    {
        // RFC 5280 §4.2.1.10 sets no bound; Go and webpki do. 2,048 permitted + 2,048 excluded subtrees against 2,048 SANs
        // cost 0.8-4 s per validation (and were accepted) before the budget.
        var ca = Intermediate(o =>
        {
            for (var i = 0; i < 2048; i++)
            {
                o.PermittedDnsSubtrees.Add($"n{i}.example.org");
                o.ExcludedDnsSubtrees.Add($"x{i}.example.net");
            }
        }, "Constrained CA");
        var leaf = Leaf(o =>
        {
            for (var i = 0; i < 2048; i++)
            {
                o.WithDnsNames($"s{i}.n{i}.example.org");
            }
        }, ca);
        var sut = Sut();
        var fastest = TimeSpan.MaxValue;
        PeerValidationResult? result = null;
        for (var run = 0; run < 3; run++)
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            result = sut.Validate(leaf.PublicCopy(), leaf.IntermediatesCollection(), _trust, PeerRole.Client);
            fastest = clock.Elapsed < fastest ? clock.Elapsed : fastest;
        }

        Rejected(result!, MtlsRejectionReason.NameConstraintsTooComplex, "name-constraint comparisons");
        Assert.True(fastest < TimeSpan.FromMilliseconds(50), $"refused in {fastest.TotalMilliseconds} ms");
    }

    [Fact]
    public void Rfc5280NameConstraints_WithinTheBudget_StillJudged() =>
        Accepted(UnderConstraints(o => { o.PermittedDnsSubtrees.Add("example.org"); o.PermittedSubtrees.Add("uri:example.org"); }, o => o.WithDnsNames([.. Enumerable.Range(0, 100).Select(i => $"s{i}.example.org")])));

    [Fact]
    public void Rfc5280Rfc822Name_TwoAtSignsUnderAnEmailConstraint_Rejected() =>
        // §4.2.1.6: an rfc822Name is a Mailbox; invalid@address@example.com is none, so it cannot be inside example.com.
        Rejected(UnderConstraints(o => o.PermittedSubtrees.Add("email:example.org"), o => o.Emails.Add("invalid@address@example.org")), MtlsRejectionReason.NameConstraintsViolated, "invalid@address@example.org");

    [Fact]
    public void Rfc5280Rfc822Name_ValidMailboxUnderAnEmailConstraint_Accepted() =>
        Accepted(UnderConstraints(o => o.PermittedSubtrees.Add("email:example.org"), o => o.Emails.Add("first.last@example.org")));

    [Fact]
    public void Rfc5280Rfc822Name_SpaceInLocalPartUnderAnExcludedConstraint_Rejected() =>
        Rejected(UnderConstraints(o => o.ExcludedSubtrees.Add("email:evil.org"), o => o.Emails.Add("a b@example.org")), MtlsRejectionReason.NameConstraintsViolated);

    [Fact]
    public void Rfc5280NameConstraints_UriHostWithTrailingDotAgainstExcluded_Rejected() =>
        // spiffe://evil.org./… is no way around an excluded evil.org.
        Rejected(UnderConstraints(o => o.ExcludedSubtrees.Add("uri:evil.org"), o => o.Uris.Add("spiffe://evil.org./ns/x")), MtlsRejectionReason.NameConstraintsViolated);

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Rfc5280PathBuilding_SeveralCandidatesAllFail_ReasonOfThePathThatGotFurthest(bool lookAlikeFirst)
    {
        // §6.1 path building: two candidate issuers share the issuing CA's name and key. The look-alike is not a CA (its path
        // fails at the intermediate); the real one completes a path to the pinned root that fails only at the identity rule.
        // The reason reported is the identity's, whichever candidate the builder tries last.
        using var key = _issuing.Certificate.GetECDsaPrivateKey()!;
        var request = new CertificateRequest(_issuing.Certificate.SubjectName, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(_root.Certificate, includeKeyIdentifier: true, includeIssuerAndSerial: false));
        using var lookAlike = request.Create(_root.Certificate, _root.Certificate.NotBefore, _issuing.Certificate.NotAfter, [0x42, 0x01]);
        var leaf = Leaf();
        var sent = lookAlikeFirst
            ? new X509Certificate2Collection((X509Certificate2[])[lookAlike, .. leaf.Intermediates])
            : new X509Certificate2Collection((X509Certificate2[])[.. leaf.Intermediates, lookAlike]);
        var options = Options(o => o.AllowedPeers.Add(PeerIdentityPattern.Parse("spiffe://example.org/ns/prod/sa/billing")));

        // The look-alike alone is a candidate that fails before the identity rule is reached.
        var alone = Client(leaf, options, sent: new X509Certificate2Collection(lookAlike));
        Assert.False(alone.IsValid);
        Assert.NotEqual(MtlsRejectionReason.IdentityNotAllowed, alone.Reason);

        Rejected(Client(leaf, options, sent: sent), MtlsRejectionReason.IdentityNotAllowed);
    }

    [Fact]
    public void Rfc5280PolicyConstraints_NotCritical_Rejected() =>
        // §4.2.1.11: conforming CAs MUST mark policyConstraints critical. inhibitPolicyMapping [1] 0.
        Rejected(ClientUnder(Intermediate(o => o.ExtraExtensions.Add(Raw("2.5.29.36", false, 0x30, 0x03, 0x81, 0x01, 0x00)))), MtlsRejectionReason.MalformedExtension, "policyConstraints");

    [Fact]
    public void Rfc5280PolicyConstraints_Critical_Accepted() =>
        Accepted(ClientUnder(Intermediate(o => o.ExtraExtensions.Add(Raw("2.5.29.36", true, 0x30, 0x03, 0x81, 0x01, 0x00)))));

    [Fact]
    public void Rfc5280NameConstraints_DnsPermitted_Accepted() =>
        Accepted(UnderConstraints(o => o.PermittedDnsSubtrees.Add("example.org"), o => o.WithDnsNames("orders.example.org")));

    [Fact]
    public void Rfc5280NameConstraints_DnsNotPermitted_Rejected() =>
        Rejected(UnderConstraints(o => o.PermittedDnsSubtrees.Add("example.org"), o => o.WithDnsNames("orders.example.com")), MtlsRejectionReason.NameConstraintsViolated, "orders.example.com");

    [Fact]
    public void Rfc5280NameConstraints_DnsExcluded_Rejected() =>
        Rejected(UnderConstraints(o => o.ExcludedDnsSubtrees.Add("secret.example.org"), o => o.WithDnsNames("db.secret.example.org")), MtlsRejectionReason.NameConstraintsViolated);

    [Fact]
    public void Rfc5280NameConstraints_DnsSuffixIsNotASubtree_Rejected() =>
        Rejected(UnderConstraints(o => o.PermittedDnsSubtrees.Add("example.org"), o => o.WithDnsNames("badexample.org")), MtlsRejectionReason.NameConstraintsViolated);

    [Fact]
    public void Rfc5280NameConstraints_WildcardSanReachesIntoExcludedSubtree_Rejected() =>
        Rejected(UnderConstraints(o => o.ExcludedDnsSubtrees.Add("bar.example.com"), o => o.WithDnsNames("*.example.com")), MtlsRejectionReason.NameConstraintsViolated, "*.example.com");

    [Fact]
    public void Rfc5280NameConstraints_WildcardSanInsidePermitted_Accepted() =>
        Accepted(UnderConstraints(o => o.PermittedDnsSubtrees.Add("example.org"), o => o.WithDnsNames("*.prod.example.org")));

    [Fact]
    public void Rfc5280NameConstraints_LeadingDotPermitsOnlySubdomains_ApexRejected() =>
        Rejected(UnderConstraints(o => o.PermittedSubtrees.Add("dns:.example.org"), o => o.WithDnsNames("example.org")), MtlsRejectionReason.NameConstraintsViolated);

    [Fact]
    public void Rfc5280NameConstraints_IpPermitted_Accepted() =>
        Accepted(UnderConstraints(o => o.PermittedSubtrees.Add("ip:10.0.0.0/8"), o => o.WithIpAddresses(IPAddress.Parse("10.1.2.3"))));

    [Fact]
    public void Rfc5280NameConstraints_IpNotPermitted_Rejected() =>
        Rejected(UnderConstraints(o => o.PermittedSubtrees.Add("ip:10.0.0.0/8"), o => o.WithIpAddresses(IPAddress.Parse("192.168.1.1"))), MtlsRejectionReason.NameConstraintsViolated, "192.168.1.1");

    [Fact]
    public void Rfc5280NameConstraints_IpExcluded_Rejected() =>
        Rejected(UnderConstraints(o => o.ExcludedSubtrees.Add("ip:10.9.0.0/16"), o => o.WithIpAddresses(IPAddress.Parse("10.9.8.7"))), MtlsRejectionReason.NameConstraintsViolated);

    [Fact]
    public void Rfc5280NameConstraints_Ipv6Permitted_Accepted() =>
        Accepted(UnderConstraints(o => o.PermittedSubtrees.Add("ip:fd00::/8"), o => o.WithIpAddresses(IPAddress.Parse("fd12::1"))));

    [Fact]
    public void Rfc5280NameConstraints_Ipv4AddressUnderIpv6Constraint_Rejected() =>
        Rejected(UnderConstraints(o => o.PermittedSubtrees.Add("ip:fd00::/8"), o => o.WithIpAddresses(IPAddress.Parse("10.0.0.1"))), MtlsRejectionReason.NameConstraintsViolated);

    [Fact]
    public void Rfc5280NameConstraints_IpNonContiguousMask_Rejected() =>
        Rejected(UnderConstraints(o => o.PermittedSubtrees.Add("raw-ip:0A000000FF00FF00"), o => o.WithIpAddresses(IPAddress.Parse("10.0.0.1"))), MtlsRejectionReason.InvalidNameConstraints);

    [Fact]
    public void Rfc5280NameConstraints_IpConstraintOfWrongLength_Rejected() =>
        Rejected(UnderConstraints(o => o.PermittedSubtrees.Add("raw-ip:0A000000"), o => o.WithIpAddresses(IPAddress.Parse("10.0.0.1"))), MtlsRejectionReason.InvalidNameConstraints);

    [Fact]
    public void Rfc5280NameConstraints_UriSpiffeTrustDomainPermitted_Accepted() =>
        Accepted(UnderConstraints(o => o.PermittedSubtrees.Add("uri:example.org"), _ => { }));

    [Fact]
    public void Rfc5280NameConstraints_UriSpiffeTrustDomainNotPermitted_Rejected() =>
        Rejected(UnderConstraints(o => o.PermittedSubtrees.Add("uri:other.org"), _ => { }), MtlsRejectionReason.NameConstraintsViolated, Orders);

    [Fact]
    public void Rfc5280NameConstraints_UriDomainExcluded_Rejected() =>
        Rejected(UnderConstraints(o => o.ExcludedSubtrees.Add("uri:.evil.org"), o => { o.Uris.Clear(); o.WithSpiffeId("spiffe://prod.evil.org/x"); }), MtlsRejectionReason.NameConstraintsViolated);

    [Fact]
    public void Rfc5280NameConstraints_UriWithoutHostUnderUriConstraint_Rejected() =>
        Rejected(UnderConstraints(o => o.PermittedSubtrees.Add("uri:example.org"), o => { o.Uris.Clear(); o.Uris.Add("urn:uuid:6e8bc430-9c3a-11d9-9669-0800200c9a66"); }), MtlsRejectionReason.NameConstraintsViolated);

    [Fact]
    public void Rfc5280NameConstraints_EmailPermitted_Accepted() =>
        Accepted(UnderConstraints(o => o.PermittedSubtrees.Add("email:example.org"), o => o.Emails.Add("ops@example.org")));

    [Fact]
    public void Rfc5280NameConstraints_EmailNotPermitted_Rejected() =>
        Rejected(UnderConstraints(o => o.PermittedSubtrees.Add("email:example.org"), o => o.Emails.Add("ops@mail.example.org")), MtlsRejectionReason.NameConstraintsViolated);

    [Fact]
    public void Rfc5280NameConstraints_DirectoryNamePermitted_Accepted() =>
        Accepted(UnderConstraints(o => o.PermittedSubtrees.Add("dn:O=Fleet"), o => o.Subject = "CN=orders, O=Fleet"));

    [Fact]
    public void Rfc5280NameConstraints_DirectoryNameNotPermitted_Rejected() =>
        Rejected(UnderConstraints(o => o.PermittedSubtrees.Add("dn:O=Fleet"), o => o.Subject = "CN=orders, O=Rogue"), MtlsRejectionReason.NameConstraintsViolated);

    [Fact]
    public void Rfc5280NameConstraints_CommonNameLookingLikeExcludedDns_NeverVetoes() =>
        Accepted(UnderConstraints(o => o.ExcludedDnsSubtrees.Add("evil.example.com"), o => { o.Subject = "CN=evil.example.com"; o.WithDnsNames("orders.example.org"); }));

    [Fact]
    public void Rfc5280NameConstraints_NameConstraintsInLeaf_Rejected() =>
        Rejected(Client(Leaf(o => o.PermittedDnsSubtrees.Add("example.org"))), MtlsRejectionReason.InvalidNameConstraints);

    [Fact]
    public void Rfc5280NameConstraints_EmptyPermittedSubtrees_Rejected() =>
        Rejected(ClientUnder(Intermediate(o => o.ExtraExtensions.Add(Raw(NameConstraintsOid, true, 0x30, 0x02, 0xA0, 0x00)))), MtlsRejectionReason.MalformedExtension, "nameConstraints");

    [Fact]
    public void Rfc5280NameConstraints_NullNameConstraints_Rejected() =>
        Rejected(ClientUnder(Intermediate(o => o.ExtraExtensions.Add(Raw(NameConstraintsOid, true, 0x05, 0x00)))), MtlsRejectionReason.MalformedExtension);

    [Fact]
    public void Rfc5280NameConstraints_EmptyNameConstraintsSequence_Rejected() =>
        Rejected(ClientUnder(Intermediate(o => o.ExtraExtensions.Add(Raw(NameConstraintsOid, true, 0x30, 0x00)))), MtlsRejectionReason.MalformedExtension);

    [Fact]
    public void Rfc5280NameConstraints_SubtreeWithMaximum_Rejected() =>
        Rejected(ClientUnder(Intermediate(o => o.ExtraExtensions.Add(NameConstraints(w =>
        {
            using (w.PushSequence())
            using (w.PushSequence(new Asn1Tag(TagClass.ContextSpecific, 0)))
            using (w.PushSequence())
            {
                TestPki.WriteGeneralName(w, "dns:example.org");
                w.WriteInteger(3, new Asn1Tag(TagClass.ContextSpecific, 1));
            }
        })))), MtlsRejectionReason.InvalidNameConstraints);

    [Fact]
    public void Rfc5280NameConstraints_MalformedDnsSanUnderConstraint_Rejected() =>
        Rejected(UnderConstraints(o => o.PermittedDnsSubtrees.Add("example.org"), o => o.WithDnsNames("bad_name.example.org")), MtlsRejectionReason.NameConstraintsViolated);

    [Fact]
    public void Rfc5280NameConstraints_ConstraintsOnTheAnchorApply_Rejected()
    {
        var root = Root(o => o.PermittedDnsSubtrees.Add("example.org"), "Constrained Root");
        Rejected(Client(Leaf(o => o.WithDnsNames("evil.com"), root), trust: TrustBundle.Create([Keep(root.PublicCopy())])), MtlsRejectionReason.NameConstraintsViolated, "pinned CA CN=Constrained Root");
    }

    // ---------- RFC 5280 §4.2.1.12 extended key usage ----------

    [Fact]
    public void Rfc5280ExtendedKeyUsage_AnyInLeaf_DoesNotStandInForClientAuth() =>
        Rejected(Client(Leaf(o => o.ExtendedKeyUsages = ["2.5.29.37.0"])), MtlsRejectionReason.WrongUsage, "anyExtendedKeyUsage");

    [Fact]
    public void Rfc5280ExtendedKeyUsage_LeafWithWrongEku_MessageNamesTheLeaf() =>
        Rejected(Client(Leaf(o => o.ForServer())), MtlsRejectionReason.WrongUsage, "the leaf's own extended key usage");

    [Fact]
    public void Rfc5280ExtendedKeyUsage_IntermediateEkuExcludesRole_MessageNamesTheCa() =>
        Rejected(ClientUnder(Intermediate(o => o.ForServer(), "Server-only CA")), MtlsRejectionReason.WrongUsage, "Server-only CA");

    [Fact]
    public void Rfc5280ExtendedKeyUsage_IntermediateWithAnyEku_Accepted() => Accepted(ClientUnder(Intermediate(o => o.ExtendedKeyUsages = ["2.5.29.37.0"])));

    // ---------- RFC 5280 §4.2.1.6 DNS SAN syntax, CA/B BR §7.1.2.7.12 wildcards ----------

    [Theory]
    [InlineData("under_score.example.org")]
    [InlineData("a..example.org")]
    [InlineData("example.org.")]
    [InlineData("-lead.example.org")]
    [InlineData("trail-.example.org")]
    [InlineData("sp ace.example.org")]
    public void Rfc5280DnsSan_NotInPreferredNameSyntax_Rejected(string name) =>
        Rejected(Client(Leaf(o => o.WithDnsNames(name))), MtlsRejectionReason.InvalidDnsName);

    [Fact]
    public void Rfc5280DnsSan_WildcardNotLeftmost_Rejected() => Rejected(Client(Leaf(o => o.WithDnsNames("api.*.example.org"))), MtlsRejectionReason.InvalidDnsName);

    [Fact]
    public void Rfc5280DnsSan_PartialWildcardLabel_Rejected() => Rejected(Client(Leaf(o => o.WithDnsNames("api*.example.org"))), MtlsRejectionReason.InvalidDnsName);

    [Fact]
    public void CabfBrWildcardSan_DirectlyAboveSingleLabel_Rejected() => Rejected(Client(Leaf(o => o.WithDnsNames("*.com"))), MtlsRejectionReason.InvalidDnsName, "*.com");

    [Fact]
    public void Rfc5280DnsSan_WholeLeftmostWildcard_Accepted() => Accepted(Client(Leaf(o => o.WithDnsNames("*.example.org"))));

    // ---------- CA/B BR §6.1.5 keys: the leaf's and every key that signs in the path ----------

    [Fact]
    public void CabfBrKeySize_RsaPss2048Leaf_AcceptedByItsRealSize() =>
        Accepted(Client(Leaf(o => o.SubjectPublicKeyInfo = TestPki.CreatePublicKeyInfo(TestPublicKeyKind.RsaPss2048))));

    [Fact]
    public void CabfBrKeySize_Ed25519Leaf_UnsupportedKeyAlgorithm() =>
        Rejected(Client(Leaf(o => o.SubjectPublicKeyInfo = TestPki.CreatePublicKeyInfo(TestPublicKeyKind.Ed25519))), MtlsRejectionReason.UnsupportedKeyAlgorithm, "Ed25519");

    [Fact]
    public void CabfBrKeySize_Ed448Leaf_UnsupportedKeyAlgorithm() =>
        Rejected(Client(Leaf(o => o.SubjectPublicKeyInfo = TestPki.CreatePublicKeyInfo(TestPublicKeyKind.Ed448))), MtlsRejectionReason.UnsupportedKeyAlgorithm, "Ed448");

    [Fact]
    public void CabfBrKeySize_BrainpoolLeaf_UnsupportedKeyAlgorithm() =>
        Rejected(Client(Leaf(o => o.SubjectPublicKeyInfo = TestPki.CreatePublicKeyInfo(TestPublicKeyKind.EcdsaBrainpoolP256))), MtlsRejectionReason.UnsupportedKeyAlgorithm);

    [Fact]
    public void CabfBrKeySize_RsaModulusNotMultipleOf8_WeakKey() =>
        Rejected(Client(Leaf(o => o.SubjectPublicKeyInfo = TestPki.CreatePublicKeyInfo(TestPublicKeyKind.Rsa2047)), Options(p => p.MinimumRsaKeySize = 1024)), MtlsRejectionReason.WeakKey, "multiple of 8");

    [Fact]
    public void CabfBrKeySize_DsaLeaf_WeakKey() =>
        Rejected(Client(Leaf(o => o.SubjectPublicKeyInfo = TestPki.CreatePublicKeyInfo(TestPublicKeyKind.Dsa2048))), MtlsRejectionReason.WeakKey, "DSA");

    [Fact]
    public void CabfBrKeySize_P192Leaf_WeakKey() =>
        Rejected(Client(Leaf(o => o.SubjectPublicKeyInfo = TestPki.CreatePublicKeyInfo(TestPublicKeyKind.EcdsaP192))), MtlsRejectionReason.WeakKey);

    [Fact]
    public void CabfBrKeySize_Rsa1024AnchorThatSigned_WeakKeyNamingThePinnedCa() =>
        Rejected(ClientUnderRoot(Root(o => o.KeyAlgorithm = TestKeyAlgorithm.Rsa1024, "Weak Root")), MtlsRejectionReason.WeakKey, "pinned CA CN=Weak Root");

    [Fact]
    public void CabfBrKeySize_P224AnchorThatSigned_WeakKey() =>
        Rejected(ClientUnderRoot(Root(o => o.KeyAlgorithm = TestKeyAlgorithm.EcdsaP224, "P224 Root")), MtlsRejectionReason.WeakKey, "pinned CA CN=P224 Root");

    [Fact]
    public void CabfBrKeySize_P521AndP384Chain_Accepted()
    {
        var root = Root(o => o.KeyAlgorithm = TestKeyAlgorithm.EcdsaP521, "P521 Root");
        var issuing = Keep(root.CreateIntermediate("P384 CA", o => o.KeyAlgorithm = TestKeyAlgorithm.EcdsaP384));
        Accepted(Client(Leaf(issuer: issuing), trust: TrustBundle.Create([Keep(root.PublicCopy())])));
    }

    [Fact]
    public void CabfBrSignatureAlgorithm_RsaPssSignedChain_Accepted()
    {
        var root = Root(o => o.KeyAlgorithm = TestKeyAlgorithm.Rsa2048, "RSA Root");
        var issuing = Keep(root.CreateIntermediate("PSS CA", o => { o.KeyAlgorithm = TestKeyAlgorithm.Rsa3072; o.SignWithRsaPss = true; }));
        Accepted(Client(Leaf(o => o.SignWithRsaPss = true, issuing), trust: TrustBundle.Create([Keep(root.PublicCopy())])));
    }

    [Fact]
    public void CabfBrSignatureAlgorithm_Sha1SignedIntermediate_WeakSignatureAlgorithm() =>
        Rejected(ClientUnder(Intermediate(o => o.SignatureHash = HashAlgorithmName.SHA1)), MtlsRejectionReason.WeakSignatureAlgorithm);

    // ---------- RFC 5280 §6.1 / RFC 4158 path building that backtracks ----------

    private (TestCertificateAuthority Pinned, TestCertificateAuthority Unpinned, TestCertificateAuthority ByUnpinned, TestCertificateAuthority ByPinned) CrossSigned()
    {
        var unpinned = Root(name: "New Root");
        var byUnpinned = Keep(unpinned.CreateIntermediate("Migrating CA"));
        var byPinned = Keep(_root.CrossSign(byUnpinned));
        return (_root, unpinned, byUnpinned, byPinned);
    }

    [Fact]
    public void Rfc5280PathBuilding_CrossSignedUnpinnedVersionFirst_Accepted()
    {
        var (_, _, byUnpinned, byPinned) = CrossSigned();
        var leaf = Leaf(issuer: byUnpinned);
        Accepted(Client(leaf, sent: [Keep(byUnpinned.PublicCopy()), Keep(byPinned.PublicCopy())]));
    }

    [Fact]
    public void Rfc5280PathBuilding_CrossSignedPinnedVersionFirst_Accepted()
    {
        var (_, unpinned, byUnpinned, byPinned) = CrossSigned();
        var leaf = Leaf(issuer: byUnpinned);
        Accepted(Client(leaf, sent: [Keep(byPinned.PublicCopy()), Keep(byUnpinned.PublicCopy()), Keep(unpinned.PublicCopy())]));
    }

    [Fact]
    public void Rfc5280PathBuilding_CrossSignedOnlyUnpinnedPathSent_UntrustedRoot()
    {
        var (_, unpinned, byUnpinned, _) = CrossSigned();
        Rejected(Client(Leaf(issuer: byUnpinned), sent: [Keep(byUnpinned.PublicCopy()), Keep(unpinned.PublicCopy())]), MtlsRejectionReason.UntrustedRoot, "CN=New Root");
    }

    [Fact]
    public void Rfc5280PathBuilding_ExpiredVersionFirst_AcceptedThroughTheValidVersion()
    {
        var now = _time.GetUtcNow();
        var current = Intermediate(_ => { }, "Renewed CA");
        var expired = Keep(_root.CrossSign(current, o => o.ValidBetween(now.AddDays(-30), now.AddDays(-1))));
        Accepted(Client(Leaf(issuer: current), sent: [Keep(expired.PublicCopy()), Keep(current.PublicCopy())]));
    }

    [Fact]
    public void Rfc5280PathBuilding_Sha1VersionFirst_AcceptedThroughTheSha256Version()
    {
        var current = Intermediate(_ => { }, "Resigned CA");
        var weak = Keep(_root.CrossSign(current, o => o.SignatureHash = HashAlgorithmName.SHA1));
        Accepted(Client(Leaf(issuer: current), sent: [Keep(weak.PublicCopy()), Keep(current.PublicCopy())]));
    }

    [Fact]
    public void Rfc5280PathBuilding_DecoyWithTheIssuersNameFirst_Accepted()
    {
        var decoy = Intermediate(_ => { }, "Fleet Issuing CA");
        Accepted(Client(Leaf(), sent: [Keep(decoy.PublicCopy()), Keep(_issuing.PublicCopy())]));
    }

    [Fact]
    public void Rfc5280PathBuilding_PinnedIntermediateReachableTwoWays_Accepted()
    {
        var other = Root(name: "Second Root");
        var crossed = Keep(other.CrossSign(_issuing));
        var trust = TrustBundle.Create([Keep(_issuing.PublicCopy())]);
        Accepted(Client(Leaf(), trust: trust, sent: [Keep(crossed.PublicCopy()), Keep(_issuing.PublicCopy())]));
    }

    [Fact]
    public void Rfc5280PathBuilding_CrossSignedLoopWithoutAnchor_TerminatesAsUntrustedRoot()
    {
        var a = Root(name: "Loop A");
        var b = Root(name: "Loop B");
        var aByB = Keep(b.CrossSign(a));
        var bByA = Keep(a.CrossSign(b));
        Rejected(Client(Leaf(issuer: a), sent: [Keep(aByB.PublicCopy()), Keep(bByA.PublicCopy())]), MtlsRejectionReason.UntrustedRoot);
    }

    [Fact]
    public void Rfc5280PathBuilding_IssuerWithMatchingNameButWrongKey_InvalidSignature()
    {
        var decoy = Intermediate(_ => { }, "Fleet Issuing CA");
        Rejected(Client(Leaf(), sent: [Keep(decoy.PublicCopy())]), MtlsRejectionReason.InvalidSignature);
    }

    [Fact]
    public void Rfc5280PathBuilding_ReissuedPinnedRootSentByPeer_AcceptedThroughThePinnedBytes()
    {
        var reissued = Keep(_root.CrossSign(_root, o => o.NotAfter = _time.GetUtcNow().AddYears(2)));
        Accepted(Client(Leaf(), sent: [Keep(_issuing.PublicCopy()), Keep(reissued.PublicCopy())]));
    }

    [Fact]
    public void Rfc5280PathBuilding_TooManySignatureVerifications_PathBuildingLimitExceeded()
    {
        var decoys = Enumerable.Range(0, 4).Select(i => Keep(Intermediate(_ => { }, "Fleet Issuing CA").PublicCopy())).ToArray();
        // Without an authority key identifier the decoys cannot be told apart from the real issuer before verifying.
        var leaf = Leaf(o => o.OmitExtensions.Add(Aki));
        var result = Client(leaf, Options(p => { p.MaxSignatureVerifications = 3; p.AllowMissingKeyIdentifiers = true; }), sent: [.. decoys, Keep(_issuing.PublicCopy())]);
        Rejected(result, MtlsRejectionReason.PathBuildingLimitExceeded, "MaxSignatureVerifications");
    }

    [Fact]
    public void Rfc5280PathBuilding_TooManyCertificatesSent_PathBuildingLimitExceeded()
    {
        var extra = Enumerable.Range(0, 18).Select(_ => Keep(_issuing.PublicCopy())).ToArray();
        Rejected(Client(Leaf(), sent: [.. extra]), MtlsRejectionReason.PathBuildingLimitExceeded, "MaxPeerIntermediates");
    }

    [Fact]
    public void Rfc5280PathBuilding_TooManyCandidatePaths_PathBuildingLimitExceeded()
    {
        // Three versions of the issuing CA, each valid but each failing the leaf's rule: three complete paths, one allowed.
        var versions = Enumerable.Range(0, 3).Select(_ => Keep(_root.CrossSign(_issuing)).PublicCopy()).ToArray();
        var result = Client(Leaf(o => o.ForServer()), Options(p => p.MaxCandidatePaths = 1), sent: [.. versions.Select(Keep)]);
        Rejected(result, MtlsRejectionReason.PathBuildingLimitExceeded, "WrongUsage");
    }

    // ---------- profiles: Rfc5280 ignores the CN; WebPki adds the CA/B BR rules ----------

    private static PeerValidationOptions WebPki(Action<PeerValidationOptions>? configure = null) => Options(p =>
    {
        p.Profile = MtlsValidationProfile.WebPki;
        configure?.Invoke(p);
    });

    [Fact]
    public void Rfc5280Profile_ServerCnNotInSans_AcceptedAndCnNeverAnIdentity()
    {
        // The certificate openssl and cert-manager make: CN=inventory, SAN DNS:localhost, IP:127.0.0.1.
        var leaf = Keep(_issuing.IssueLeaf("inventory", o => o.ForServer().WithDnsNames("localhost").WithIpAddresses(IPAddress.Loopback)));
        Accepted(Server(leaf, "localhost"));
        Accepted(Server(leaf, "127.0.0.1"));
        Rejected(Server(leaf, "inventory"), MtlsRejectionReason.NameMismatch, "the CN is never used");
    }

    [Fact]
    public void CabfBrCommonName_NotInSansUnderWebPki_RejectedNamingTheOptionKeys() =>
        Rejected(Server(Keep(_issuing.IssueLeaf("other", o => o.ForServer().WithDnsNames("api.example.org"))), "api.example.org", WebPki()), MtlsRejectionReason.CommonNameNotInSubjectAltNames, "PeerValidationOptions.AllowCommonNameNotInSubjectAltNames=true relaxes this");

    [Fact]
    public void CabfBrCommonName_NotInSansUnderWebPkiWhenRelaxed_Accepted() =>
        Accepted(Server(Keep(_issuing.IssueLeaf("other", o => o.ForServer().WithDnsNames("api.example.org"))), "api.example.org", WebPki(p => p.AllowCommonNameNotInSubjectAltNames = true)));

    [Fact]
    public void CabfBrCommonName_CaseDiffersUnderWebPki_Rejected() =>
        // A character-for-character copy of one SAN; a CN that differs in case is not one.
        Rejected(Server(Keep(_issuing.IssueLeaf("API.Example.ORG", o => o.ForServer().WithDnsNames("api.example.org"))), "api.example.org", WebPki()), MtlsRejectionReason.CommonNameNotInSubjectAltNames);

    [Fact]
    public void CabfBrCommonName_ExactCopyUnderWebPki_Accepted() =>
        Accepted(Server(Keep(_issuing.IssueLeaf("api.example.org", o => o.ForServer().WithDnsNames("www.example.org", "api.example.org"))), "www.example.org", WebPki()));

    [Fact]
    public void CabfBrCommonName_IpInCanonicalFormUnderWebPki_Accepted() =>
        Accepted(Server(Keep(_issuing.IssueLeaf("127.0.0.1", o => o.ForServer().WithIpAddresses(IPAddress.Loopback))), "127.0.0.1", WebPki()));

    [Fact]
    public void CabfBrCommonName_Ipv6Rfc5952FormUnderWebPki_Accepted() =>
        Accepted(Server(Keep(_issuing.IssueLeaf("2001:db8::1", o => o.ForServer().WithIpAddresses(IPAddress.Parse("2001:db8::1")))), "2001:db8::1", WebPki()));

    [Fact]
    public void CabfBrCommonName_Ipv6NotInRfc5952FormUnderWebPki_Rejected() =>
        Rejected(Server(Keep(_issuing.IssueLeaf("0:0:0:0:0:0:0:1", o => o.ForServer().WithIpAddresses(IPAddress.IPv6Loopback))), "::1", WebPki()), MtlsRejectionReason.CommonNameNotInSubjectAltNames);

    [Fact]
    public void CabfBrCommonName_ClientCertificateUnderWebPki_NotChecked() => Accepted(Client(Leaf(o => o.WithDnsNames("orders.example.org")), WebPki()));

    [Fact]
    public void CabfBrRootExtendedKeyUsage_RootWithEkuUnderWebPki_Rejected()
    {
        var root = Root(o => o.ExtraExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(X509Oids.ClientAuth)], false)), "Eku Root");
        Rejected(ClientUnderRoot(root, options: WebPki()), MtlsRejectionReason.WrongUsage, "a root has none");
        Accepted(ClientUnderRoot(root));
    }

    [Fact]
    public void CabfBrLeafExtendedKeyUsage_CriticalUnderWebPki_Rejected()
    {
        var leaf = Leaf(o => { o.OmitExtensions.Add(X509Oids.ExtendedKeyUsage); o.ExtraExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(X509Oids.ClientAuth)], true)); });
        Rejected(Client(leaf, WebPki()), MtlsRejectionReason.WrongUsage, "critical");
        Accepted(Client(leaf));
    }

    [Fact]
    public void CabfBrLeafExtendedKeyUsage_AnyExtendedKeyUsageUnderWebPki_Rejected()
    {
        var leaf = Leaf(o => { o.OmitExtensions.Add(X509Oids.ExtendedKeyUsage); o.ExtraExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(X509Oids.ClientAuth), new Oid(X509Oids.AnyExtendedKeyUsage)], false)); });
        Rejected(Client(leaf, WebPki()), MtlsRejectionReason.WrongUsage, "anyExtendedKeyUsage");
        Accepted(Client(leaf));
    }

    [Fact]
    public void CabfBrRootAuthorityKeyId_WithoutKeyIdentifierUnderWebPki_Rejected()
    {
        var root = Root(o => o.ExtraExtensions.Add(TestPki.CreateExtension(Aki, false, w =>
        {
            using (w.PushSequence())
            {
            }
        })), "Aki Root");
        Rejected(ClientUnderRoot(root, options: WebPki()), MtlsRejectionReason.InvalidKeyIdentifier, "keyIdentifier");
    }

    // ---------- the judgement cache ----------

    [Fact]
    public void JudgementCache_RepeatedPeer_ReusesParsedCertificatesOfTheTrustSnapshot()
    {
        var trust = _root.ToTrustBundle();
        var cache = Mtls.Extensions.Validation.Internal.CertificateJudgementCache.For(trust);
        var leaf = Leaf();
        Accepted(Client(leaf, trust: trust));
        var cached = cache.CertificateCount;
        Accepted(Client(leaf, trust: trust));

        Assert.Equal(2, cached); // the leaf and the issuing CA; the anchor is parsed with the snapshot
        Assert.Equal(cached, cache.CertificateCount);
        Assert.NotSame(cache, Mtls.Extensions.Validation.Internal.CertificateJudgementCache.For(_root.ToTrustBundle()));
    }

    [Fact]
    public void JudgementCache_RejectedPaths_AreNotCached()
    {
        var trust = _root.ToTrustBundle();
        var cache = Mtls.Extensions.Validation.Internal.CertificateJudgementCache.For(trust);
        var other = Root(name: "Stranger Root");
        Rejected(Client(Leaf(issuer: other), trust: trust, sent: [Keep(other.PublicCopy())]), MtlsRejectionReason.UntrustedRoot);
        Assert.Equal(0, cache.CertificateCount);
    }
}
