using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Mtls.Extensions.Testing;
using Mtls.Extensions.Tests.Interop;

namespace Mtls.Extensions.AspNetCore.Tests;

/// <summary>
/// A sample of the RFC 5280 / CA/B BR conformance cases (see PathValidationConformanceTests) through real TLS handshakes
/// against Kestrel: each bad shape fails the handshake with its own reason code, each good shape gets an answer, and the
/// cross-signed CA migration works with a client that sends both versions of the intermediate. Shapes OpenSSL itself
/// refuses to parse during the handshake (a duplicate extension) never reach the validator and are covered by the
/// validator's own suite only.
/// </summary>
public sealed class PathValidationHandshakeTests(TestPkiFixture pki) : IClassFixture<TestPkiFixture>
{
    private const string Id = "spiffe://example.org/ns/prod/sa/conformance";

    public static TheoryData<string> BadKinds() =>
    [
        "Rfc5280_4_2_1_9_BasicConstraintsNotCritical", "Rfc5280_4_2_1_1_LeafWithoutAki", "Rfc5280_4_2_1_2_IntermediateWithoutSki",
        "Rfc5280_4_1_2_2_SerialZero", "Rfc5280_4_2_UnknownCriticalExtension", "Rfc5280_4_2_2_1_MalformedAuthorityInfoAccess",
        "Rfc5280_4_2_1_12_AnyExtendedKeyUsageInLeaf", "CabfBr_7_1_2_7_12_WildcardAboveSingleLabel",
        "Rfc5280_4_2_1_10_WildcardSanReachesIntoExcludedSubtree", "Rfc5280_4_2_1_10_UriSpiffeTrustDomainNotPermitted",
        "Rfc5280_4_2_1_3_LeafAssertsKeyCertSign", "Rfc5280_4_2_1_6_SubjectWithCriticalSan", "Rfc5280_4_2_1_6_IpAddressSanOfFiveOctets",
    ];

    public static TheoryData<string> GoodKinds() =>
    [
        "Rfc5280_4_2_1_10_SpiffeTrustDomainPermitted", "Rfc5280_4_2_1_10_CommonNameLookingLikeExcludedDns", "Rfc5280_4_2_1_6_EmptySubjectWithCriticalSan",
        "Rfc5280_4_1_2_2_Serial20Octets",
    ];

    [Theory]
    [MemberData(nameof(BadKinds))]
    public async Task PathValidationHandshake_BadShape_FailsWithItsReason(string kind)
    {
        using var host = new MtlsTestHost(pki);
        host.StartServer();
        using var collector = host.CollectValidations();
        var (leaf, chain, expected, disposables) = Create(kind);
        try
        {
            using var client = host.CreateMtlsClient(SslStreamCertificateContext.Create(leaf.Certificate, [.. chain], offline: true));
            await Assert.ThrowsAnyAsync<HttpRequestException>(() => client.GetStringAsync("/anonymous"));
            var reasons = MutualTlsServerTests.Reasons(collector);
            Assert.True(reasons.Contains(expected.ToString()), $"expected {expected}, the server recorded [{string.Join(", ", reasons)}]");
        }
        finally
        {
            Dispose(leaf, disposables);
        }
    }

    [Theory]
    [MemberData(nameof(GoodKinds))]
    public async Task PathValidationHandshake_GoodShape_Succeeds(string kind)
    {
        using var host = new MtlsTestHost(pki);
        host.StartServer();
        var (leaf, chain, _, disposables) = Create(kind);
        try
        {
            using var client = host.CreateMtlsClient(SslStreamCertificateContext.Create(leaf.Certificate, [.. chain], offline: true));
            Assert.Equal("hello", await client.GetStringAsync("/anonymous"));
        }
        finally
        {
            Dispose(leaf, disposables);
        }
    }

    /// <summary>
    /// The CA migration: "Migrating CA" is issued by an unpinned new root and cross-signed by the pinned root; the client
    /// sends both versions, the unpinned one first. The platform's chain engine does not backtrack and refused this with
    /// PartialChain; the library's path builder finds the path through the pinned root.
    /// </summary>
    [InteropFact("curl")]
    public async Task CrossSignedIntermediate_SentInBothVersions_Accepted()
    {
        using var host = new MtlsTestHost(pki);
        host.StartServer();
        using var newRoot = TestPki.CreateRoot("New Fleet Root");
        using var byNewRoot = newRoot.CreateIntermediate("Migrating CA");
        using var byPinnedRoot = pki.Root.CrossSign(byNewRoot);
        using var leaf = byNewRoot.IssueClient("migrating", Id);
        var cert = pki.WriteFile("cross-signed.pem", leaf.Certificate.ExportCertificatePem() + "\n" + byNewRoot.ExportCertificatePem() + byPinnedRoot.ExportCertificatePem());
        var key = pki.WriteFile("cross-signed.key", leaf.ExportKeyPem());
        using var collector = host.CollectValidations();

        var (code, output) = await ExternalProcess.RunAsync("curl", ["-sS", "--fail", "--cert", cert, "--key", key, "--cacert", pki.CaPath, new Uri(host.BaseAddress, "/whoami").ToString()]);

        Assert.True(code == 0, $"curl exited {code}: {output}; the server recorded [{string.Join(", ", MutualTlsServerTests.Reasons(collector))}]");
        Assert.Contains(Id, output, StringComparison.Ordinal);
    }

    /// <summary>The same chain through the public validator API, as the server's handshake policy receives it.</summary>
    [Fact]
    public void CrossSignedIntermediate_SentInBothVersions_AcceptedByThePublicValidator()
    {
        using var newRoot = TestPki.CreateRoot("New Fleet Root");
        using var byNewRoot = newRoot.CreateIntermediate("Migrating CA");
        using var byPinnedRoot = pki.Root.CrossSign(byNewRoot);
        using var leaf = byNewRoot.IssueClient("migrating", Id);
        var validator = new PeerCertificateValidator();
        var trust = pki.Root.ToTrustBundle();
        using var chain = new X509Chain { ChainPolicy = validator.CreateChainPolicy(trust, PeerRole.Client) };
        chain.ChainPolicy.ExtraStore.Add(byNewRoot.PublicCopy());
        chain.ChainPolicy.ExtraStore.Add(byPinnedRoot.PublicCopy());
        var platform = chain.Build(leaf.PublicCopy());

        var built = validator.ValidateBuiltChain(leaf.PublicCopy(), chain, trust, PeerRole.Client);
        var direct = validator.Validate(leaf.PublicCopy(), chain.ChainPolicy.ExtraStore, trust, PeerRole.Client);

        Assert.True(built.IsValid, $"{built} (the platform's own verdict: {platform})");
        Assert.True(direct.IsValid, direct.ToString());
    }

    private static void Dispose(TestCertificate leaf, List<IDisposable> disposables)
    {
        leaf.Dispose();
        foreach (var disposable in disposables)
        {
            disposable.Dispose();
        }
    }

    private (TestCertificate Leaf, X509Certificate2[] Chain, MtlsRejectionReason Expected, List<IDisposable> Disposables) Create(string kind)
    {
        var disposables = new List<IDisposable>();
        TestCertificateAuthority Ca(Action<TestCertificateOptions> configure, string name = "Conformance CA")
        {
            var ca = pki.Root.CreateIntermediate(name, configure);
            disposables.Add(ca);
            return ca;
        }

        (TestCertificate, X509Certificate2[], MtlsRejectionReason, List<IDisposable>) Leaf(MtlsRejectionReason expected, Action<TestCertificateOptions>? configure = null, TestCertificateAuthority? issuer = null)
        {
            var leaf = (issuer ?? pki.Issuing).IssueLeaf("conformance", o =>
            {
                o.ForClient().WithSpiffeId(Id);
                configure?.Invoke(o);
            });
            return (leaf, [.. leaf.Intermediates], expected, disposables);
        }

        return kind switch
        {
            "Rfc5280_4_2_1_9_BasicConstraintsNotCritical" => Leaf(MtlsRejectionReason.InvalidBasicConstraints, issuer: Ca(o => o.BasicConstraintsCritical = false)),
            "Rfc5280_4_2_1_1_LeafWithoutAki" => Leaf(MtlsRejectionReason.MissingKeyIdentifier, o => o.OmitExtensions.Add("2.5.29.35")),
            "Rfc5280_4_2_1_2_IntermediateWithoutSki" => Leaf(MtlsRejectionReason.MissingKeyIdentifier, issuer: Ca(o => o.OmitExtensions.Add("2.5.29.14"))),
            "Rfc5280_4_1_2_2_SerialZero" => Leaf(MtlsRejectionReason.InvalidSerialNumber, o => o.SerialNumber = [0x00]),
            "Rfc5280_4_2_UnknownCriticalExtension" => Leaf(MtlsRejectionReason.UnrecognizedCriticalExtension, o => o.ExtraExtensions.Add(new X509Extension("1.3.6.1.4.1.99999.1", [0x05, 0x00], true))),
            "Rfc5280_4_2_2_1_MalformedAuthorityInfoAccess" => Leaf(MtlsRejectionReason.MalformedExtension, o => o.ExtraExtensions.Add(new X509Extension("1.3.6.1.5.5.7.1.1", [0x30, 0x03, 0x06, 0x01, 0x2B], false))),
            "Rfc5280_4_2_1_12_AnyExtendedKeyUsageInLeaf" => Leaf(MtlsRejectionReason.WrongUsage, o => o.ExtendedKeyUsages = ["2.5.29.37.0"]),
            "CabfBr_7_1_2_7_12_WildcardAboveSingleLabel" => Leaf(MtlsRejectionReason.InvalidDnsName, o => o.WithDnsNames("*.com")),
            "Rfc5280_4_2_1_10_WildcardSanReachesIntoExcludedSubtree" => Leaf(MtlsRejectionReason.NameConstraintsViolated, o => o.WithDnsNames("*.example.com"), Ca(o => o.ExcludedDnsSubtrees.Add("bar.example.com"))),
            "Rfc5280_4_2_1_10_UriSpiffeTrustDomainNotPermitted" => Leaf(MtlsRejectionReason.NameConstraintsViolated, issuer: Ca(o => o.PermittedSubtrees.Add("uri:other.org"))),
            "Rfc5280_4_2_1_3_LeafAssertsKeyCertSign" => Leaf(MtlsRejectionReason.KeyUsageNotAllowed, o => o.KeyUsage = X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyCertSign),
            "Rfc5280_4_2_1_6_SubjectWithCriticalSan" => Leaf(MtlsRejectionReason.InvalidSubjectName, o => o.SubjectAltNameCritical = true),
            "Rfc5280_4_2_1_6_IpAddressSanOfFiveOctets" => Leaf(MtlsRejectionReason.MalformedCertificate, o =>
            {
                o.OmitExtensions.Add("2.5.29.17");
                o.ExtraExtensions.Add(TestPki.CreateExtension("2.5.29.17", false, w =>
                {
                    using (w.PushSequence())
                    {
                        TestPki.WriteGeneralName(w, $"uri:{Id}");
                        TestPki.WriteGeneralName(w, "raw-ip:7F00000101");
                    }
                }));
            }),
            "Rfc5280_4_2_1_10_SpiffeTrustDomainPermitted" => Leaf(MtlsRejectionReason.None, issuer: Ca(o => o.PermittedSubtrees.Add("uri:example.org"))),
            "Rfc5280_4_2_1_10_CommonNameLookingLikeExcludedDns" => Leaf(MtlsRejectionReason.None, o => { o.Subject = "CN=evil.example.com"; o.WithDnsNames("orders.example.org"); }, Ca(o => o.ExcludedDnsSubtrees.Add("evil.example.com"))),
            "Rfc5280_4_2_1_6_EmptySubjectWithCriticalSan" => Leaf(MtlsRejectionReason.None, o => o.Subject = ""),
            "Rfc5280_4_1_2_2_Serial20Octets" => Leaf(MtlsRejectionReason.None, o => o.SerialNumber = [0x7F, .. Enumerable.Repeat((byte)0x5A, 19)]),
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown case"),
        };
    }
}
