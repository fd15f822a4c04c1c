using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Mtls.Extensions.Testing;

namespace Mtls.Extensions.AspNetCore.Tests;

/// <summary>
/// The bad-certificate matrix through real TLS handshakes: each kind fails the handshake with its own reason.
/// Kinds a .NET/OpenSSL client refuses to send at all (RSA-1024, P-224, SHA-1 signed: the client's security
/// level) and a root sent by the client (SslStreamCertificateContext never sends it) are covered by the
/// validator's own matrix and by the openssl interop test.
/// </summary>
public sealed class HandshakeRejectionTests(TestPkiFixture pki) : IClassFixture<TestPkiFixture>
{
    public static TheoryData<string> Kinds() =>
    [
        "unknown-issuer-not-sent", "rogue-ca-same-name", "expired-leaf", "not-yet-valid-leaf", "expired-intermediate",
        "server-eku", "no-eku", "leaf-is-ca", "key-usage-without-digital-signature",
        "missing-intermediate", "intermediate-not-ca", "path-length-exceeded", "name-constraints-violated", "self-signed",
        "chain-too-deep", "two-uri-sans", "no-spiffe-id", "invalid-spiffe-id", "other-trust-domain", "intermediate-eku-excludes-client",
    ];

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task BadClientCertificate_Handshake_FailsWithItsReason(string kind)
    {
        using var host = new MtlsTestHost(pki, new Dictionary<string, string?>
        {
            ["Mtls:Server:AllowedPeers:0"] = "spiffe://example.org",
            ["Mtls:Server:MaxChainDepth"] = "3",
        });
        host.StartServer();
        using var collector = host.CollectValidations();
        var (certificate, chain, expected, disposables) = Create(kind);
        try
        {
            using var client = host.CreateMtlsClient(System.Net.Security.SslStreamCertificateContext.Create(certificate.Certificate, new X509Certificate2Collection(chain), offline: true));

            await Assert.ThrowsAnyAsync<HttpRequestException>(() => client.GetStringAsync("/anonymous"));

            var reasons = MutualTlsServerTests.Reasons(collector);
            Assert.True(reasons.Contains(expected.ToString()), $"expected {expected}, the server recorded [{string.Join(", ", reasons)}]");
        }
        finally
        {
            certificate.Dispose();
            foreach (var d in disposables)
            {
                d.Dispose();
            }
        }
    }

    [Fact]
    public async Task SpiffeClientWithoutEku_Handshake_Succeeds()
    {
        // X509-SVID §4.4 only says SHOULD for the extended key usage, and go-spiffe accepts an SVID without one.
        using var host = new MtlsTestHost(pki, new Dictionary<string, string?>
        {
            ["Mtls:Server:AllowedPeers:0"] = "spiffe://example.org",
        });
        host.StartServer();
        using var leaf = pki.Issuing.IssueLeaf("svid-no-eku", o => o.WithoutExtendedKeyUsage().WithSpiffeId("spiffe://example.org/ns/prod/sa/no-eku"));
        using var client = host.CreateMtlsClient(System.Net.Security.SslStreamCertificateContext.Create(leaf.Certificate, leaf.IntermediatesCollection(), offline: true));

        Assert.Equal("hello", await client.GetStringAsync("/anonymous"));
    }

    [Fact]
    public async Task GoodClientCertificate_UnderTheSameSettings_Succeeds()
    {
        using var host = new MtlsTestHost(pki, new Dictionary<string, string?>
        {
            ["Mtls:Server:AllowedPeers:0"] = "spiffe://example.org",
            ["Mtls:Server:MaxChainDepth"] = "3",
        });
        host.StartServer();
        using var client = host.CreateMtlsClient(pki.Orders);
        Assert.Equal("hello", await client.GetStringAsync("/anonymous"));
    }

    private (TestCertificate Certificate, X509Certificate2[] Chain, MtlsRejectionReason Expected, List<IDisposable> Disposables) Create(string kind)
    {
        var disposables = new List<IDisposable>();
        var now = DateTimeOffset.UtcNow;
        const string Id = "spiffe://example.org/ns/prod/sa/test";
        TestCertificateAuthority Ca(TestCertificateAuthority ca)
        {
            disposables.Add(ca);
            return ca;
        }

        (TestCertificate, X509Certificate2[], MtlsRejectionReason, List<IDisposable>) Leaf(TestCertificateAuthority issuer, MtlsRejectionReason expected, Action<TestCertificateOptions> configure, bool sendChain = true)
        {
            var leaf = issuer.IssueLeaf("client", configure);
            return (leaf, sendChain ? leaf.Intermediates.ToArray() : [], expected, disposables);
        }

        void Client(TestCertificateOptions o) => o.ForClient().WithSpiffeId(Id);

        switch (kind)
        {
            case "untrusted-root":
            {
                var other = Ca(TestPki.CreateRoot("Other Root"));
                var leaf = other.IssueClient("client", Id);
                return (leaf, [other.PublicCopy()], MtlsRejectionReason.UntrustedRoot, disposables);
            }

            case "unknown-issuer-not-sent":
                return Leaf(Ca(TestPki.CreateRoot("Other Root")), MtlsRejectionReason.UntrustedRoot, Client);
            case "rogue-ca-same-name":
                return Leaf(Ca(TestPki.CreateRoot("Fleet Root")), MtlsRejectionReason.UntrustedRoot, Client);
            case "expired-leaf":
                return Leaf(pki.Issuing, MtlsRejectionReason.Expired, o => Client(o.ValidBetween(now.AddDays(-3), now.AddDays(-1))));
            case "not-yet-valid-leaf":
                return Leaf(pki.Issuing, MtlsRejectionReason.NotYetValid, o => Client(o.ValidBetween(now.AddDays(1), now.AddDays(3))));
            case "expired-intermediate":
                return Leaf(Ca(pki.Root.CreateIntermediate("Old CA", o => o.ValidBetween(now.AddDays(-30), now.AddMinutes(-1)))), MtlsRejectionReason.Expired, Client);
            case "server-eku":
                return Leaf(pki.Issuing, MtlsRejectionReason.WrongUsage, o => o.ForServer().WithSpiffeId(Id));
            case "no-eku":
                return Leaf(pki.Issuing, MtlsRejectionReason.MissingExtendedKeyUsage, o => o.WithoutExtendedKeyUsage().WithDnsNames("client.example.org")); // a SPIFFE peer without EKU is accepted (X509-SVID §4.4)
            case "leaf-is-ca":
                return Leaf(pki.Issuing, MtlsRejectionReason.LeafIsCa, o => { Client(o); o.IsCa = true; });
            case "key-usage-without-digital-signature":
                return Leaf(pki.Issuing, MtlsRejectionReason.KeyUsageNotAllowed, o => { Client(o); o.KeyAlgorithm = TestKeyAlgorithm.Rsa2048; o.KeyUsage = X509KeyUsageFlags.KeyEncipherment; });
            case "rsa-1024":
                return Leaf(pki.Issuing, MtlsRejectionReason.WeakKey, o => { Client(o); o.KeyAlgorithm = TestKeyAlgorithm.Rsa1024; });
            case "ec-p224":
                return Leaf(pki.Issuing, MtlsRejectionReason.WeakKey, o => { Client(o); o.KeyAlgorithm = TestKeyAlgorithm.EcdsaP224; });
            case "sha1-signed-leaf":
                return Leaf(pki.Issuing, MtlsRejectionReason.WeakSignatureAlgorithm, o => { Client(o); o.SignatureHash = HashAlgorithmName.SHA1; });
            case "missing-intermediate":
                return Leaf(pki.Issuing, MtlsRejectionReason.UntrustedRoot, Client, sendChain: false); // a fresh server does not know the issuing CA: its issuer is not pinned
            case "intermediate-not-ca":
                return Leaf(Ca(pki.Root.CreateIntermediate("Not A CA", o => o.IsCa = false)), MtlsRejectionReason.IntermediateNotCa, Client);
            case "path-length-exceeded":
            {
                var limited = Ca(pki.Root.CreateIntermediate("Limited CA", o => o.PathLength = 0));
                return Leaf(Ca(limited.CreateIntermediate("Below")), MtlsRejectionReason.PathLengthExceeded, Client);
            }

            case "name-constraints-violated":
                return Leaf(Ca(pki.Root.CreateIntermediate("Constrained", o => o.PermittedDnsSubtrees.Add("example.org"))), MtlsRejectionReason.NameConstraintsViolated, o => Client(o.WithDnsNames("evil.example.com")));
            case "self-signed":
            {
                var self = TestPki.CreateSelfSignedLeaf("self", Client);
                return (self, [], MtlsRejectionReason.SelfSigned, disposables);
            }

            case "chain-too-deep":
                return Leaf(Ca(Ca(pki.Issuing.CreateIntermediate("Second CA")).CreateIntermediate("Third CA")), MtlsRejectionReason.ChainTooDeep, Client);
            case "two-uri-sans":
                return Leaf(pki.Issuing, MtlsRejectionReason.MultipleUriSans, o => Client(o.WithSpiffeId("spiffe://example.org/ns/prod/sa/admin")));
            case "no-spiffe-id":
                return Leaf(pki.Issuing, MtlsRejectionReason.MissingSpiffeId, o => o.ForClient());
            case "invalid-spiffe-id":
                return Leaf(pki.Issuing, MtlsRejectionReason.InvalidSpiffeId, o => o.ForClient().WithSpiffeId("spiffe://example.org/ns/../admin"));
            case "other-trust-domain":
                return Leaf(pki.Issuing, MtlsRejectionReason.IdentityNotAllowed, o => o.ForClient().WithSpiffeId("spiffe://evil.org/ns/prod/sa/test"));
            case "intermediate-eku-excludes-client":
                return Leaf(Ca(pki.Root.CreateIntermediate("Server-only CA", o => o.ForServer())), MtlsRejectionReason.WrongUsage, Client);
            default:
                throw new ArgumentOutOfRangeException(nameof(kind), kind, null);
        }
    }
}
