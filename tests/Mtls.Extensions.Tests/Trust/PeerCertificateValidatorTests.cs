using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Time.Testing;
using Mtls.Extensions.Testing;

namespace Mtls.Extensions.Tests;

public sealed class PeerCertificateValidatorTests : IDisposable
{
    private const string Orders = "spiffe://example.org/ns/prod/sa/orders";
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 22, 12, 0, 0, TimeSpan.Zero));
    private readonly TestCertificateAuthority _root;
    private readonly TestCertificateAuthority _issuing;
    private readonly TrustBundle _trust;

    public PeerCertificateValidatorTests()
    {
        _root = TestPki.CreateRoot("Fleet Root", timeProvider: _time);
        _issuing = _root.CreateIntermediate("Fleet Issuing CA");
        _trust = _root.ToTrustBundle();
    }

    public void Dispose()
    {
        _issuing.Dispose();
        _root.Dispose();
    }

    private PeerCertificateValidator CreateSut() => new(_time);

    private PeerValidationResult ValidateClient(TestCertificate leaf, PeerValidationOptions? options = null, TrustBundle? trust = null) =>
        CreateSut().Validate(leaf.PublicCopy(), leaf.IntermediatesCollection(), trust ?? _trust, PeerRole.Client, options);

    private static void AssertRejected(PeerValidationResult result, MtlsRejectionReason expected)
    {
        Assert.False(result.IsValid, $"expected {expected}, but the certificate was accepted");
        Assert.True(expected == result.Reason, $"expected {expected}, got {result.Reason}: {result.Message}");
        Assert.False(string.IsNullOrWhiteSpace(result.Message));
    }

    // ---------- good cases ----------

    [Fact]
    public void Validate_LeafDirectlyFromRoot_Accepted()
    {
        using var leaf = _root.IssueClient("orders", Orders);
        var result = ValidateClient(leaf);
        Assert.True(result.IsValid, result.Message);
        Assert.Equal(Orders, result.Identity!.SpiffeId.ToString());
    }

    [Fact]
    public void Validate_ViaOneIntermediate_Accepted()
    {
        using var leaf = _issuing.IssueClient("orders", Orders);
        Assert.True(ValidateClient(leaf).IsValid);
    }

    [Fact]
    public void Validate_ViaTwoIntermediates_Accepted()
    {
        using var second = _issuing.CreateIntermediate("Second Issuing CA");
        using var leaf = second.IssueClient("orders", Orders);
        Assert.Equal(2, leaf.Intermediates.Count);
        var result = ValidateClient(leaf);
        Assert.True(result.IsValid, result.Message);
    }

    [Fact]
    public void Validate_PinnedIntermediateAsAnchor_Accepted()
    {
        using var leaf = _issuing.IssueClient("orders", Orders);
        var trust = _issuing.ToTrustBundle();
        var result = CreateSut().Validate(leaf.PublicCopy(), [], trust, PeerRole.Client);
        Assert.True(result.IsValid, result.Message);
    }

    [Fact]
    public void Validate_PinnedIntermediateAsAnchorAlsoSentByThePeer_Accepted()
    {
        using var leaf = _issuing.IssueClient("orders", Orders);
        var result = CreateSut().Validate(leaf.PublicCopy(), leaf.IntermediatesCollection(), _issuing.ToTrustBundle(), PeerRole.Client);
        Assert.True(result.IsValid, result.Message);
    }

    [Fact]
    public void Validate_TwoPinnedCasSideBySide_BothAccepted()
    {
        using var newRoot = TestPki.CreateRoot("Fleet Root 2027", timeProvider: _time);
        var overlap = TrustBundle.Create([_root.PublicCopy(), newRoot.PublicCopy()]);
        using var oldLeaf = _issuing.IssueClient("old", Orders);
        using var newLeaf = newRoot.IssueClient("new", Orders);
        Assert.True(ValidateClient(oldLeaf, trust: overlap).IsValid);
        Assert.True(ValidateClient(newLeaf, trust: overlap).IsValid);
    }

    [Fact]
    public void Validate_RsaChain_Accepted()
    {
        using var root = TestPki.CreateRoot("RSA Root", o => o.KeyAlgorithm = TestKeyAlgorithm.Rsa3072, _time);
        using var leaf = root.IssueLeaf("rsa-client", o => { o.KeyAlgorithm = TestKeyAlgorithm.Rsa2048; o.ForClient(); });
        var result = CreateSut().Validate(leaf.PublicCopy(), null, root.ToTrustBundle(), PeerRole.Client);
        Assert.True(result.IsValid, result.Message);
    }

    [Fact]
    public void Validate_EcdsaP384Leaf_Accepted()
    {
        using var leaf = _issuing.IssueLeaf("p384", o => { o.KeyAlgorithm = TestKeyAlgorithm.EcdsaP384; o.ForClient(); });
        Assert.True(ValidateClient(leaf).IsValid);
    }

    [Fact]
    public void Validate_ServerWithMatchingHostName_Accepted()
    {
        using var server = _issuing.IssueLocalhostServer();
        var sut = CreateSut();
        Assert.True(sut.Validate(server.PublicCopy(), server.IntermediatesCollection(), _trust, PeerRole.Server, expectedHostName: "localhost").IsValid);
        Assert.True(sut.Validate(server.PublicCopy(), server.IntermediatesCollection(), _trust, PeerRole.Server, expectedHostName: "127.0.0.1").IsValid);
    }

    [Fact]
    public void Validate_NoEkuWhenAllowed_Accepted()
    {
        using var leaf = _issuing.IssueLeaf("legacy", o => o.WithoutExtendedKeyUsage());
        Assert.True(ValidateClient(leaf, new PeerValidationOptions { AllowMissingExtendedKeyUsage = true }).IsValid);
    }

    [Fact]
    public void Validate_SpiffePeerWithoutEkuWhereSpiffeIsRequired_Accepted()
    {
        // X509-SVID §4.4 says SHOULD for the extended key usage; go-spiffe accepts an SVID without one.
        using var leaf = _issuing.IssueLeaf("svid", o => o.WithoutExtendedKeyUsage().WithSpiffeId(Orders));
        var options = new PeerValidationOptions();
        options.AllowedPeers.Add(PeerIdentityPattern.Parse("spiffe://example.org"));

        var result = ValidateClient(leaf, options);

        Assert.True(result.IsValid, result.ToString());
    }

    [Fact]
    public void Validate_SpiffePeerWithServerOnlyEkuWhereSpiffeIsRequired_WrongUsage()
    {
        // An extended key usage that is present must still fit the role.
        using var leaf = _issuing.IssueLeaf("svid", o => o.ForServer().WithSpiffeId(Orders));
        var options = new PeerValidationOptions { RequireSpiffeId = true };

        Assert.Equal(MtlsRejectionReason.WrongUsage, ValidateClient(leaf, options).Reason);
    }

    [Fact]
    public void Validate_SpiffeIdWithoutEkuWhereSpiffeIsNotRequired_MissingExtendedKeyUsage()
    {
        // Non-SPIFFE endpoints keep today's default, whatever URI the peer carries.
        using var leaf = _issuing.IssueLeaf("svid", o => o.WithoutExtendedKeyUsage().WithSpiffeId(Orders));

        Assert.Equal(MtlsRejectionReason.MissingExtendedKeyUsage, ValidateClient(leaf).Reason);
    }

    [Fact]
    public void Validate_AllowedTrustDomainAndPrefix_Accepted()
    {
        using var leaf = _issuing.IssueClient("orders", Orders);
        var options = new PeerValidationOptions();
        options.AllowedPeers.Add(PeerIdentityPattern.Parse("spiffe://example.org"));
        Assert.True(ValidateClient(leaf, options).IsValid);

        var prefix = new PeerValidationOptions();
        prefix.AllowedPeers.Add(PeerIdentityPattern.Parse("spiffe://example.org/ns/prod/*"));
        Assert.True(ValidateClient(leaf, prefix).IsValid);
    }

    [Fact]
    public void Validate_ValidThroughTheNotAfterSecond_ExpiredAfterIt()
    {
        // RFC 5280 §4.1.2.5: the validity period includes notAfter, at one-second resolution (issue 12 item 8).
        using var leaf = _issuing.IssueLeaf("short", o => { o.ForClient(); o.NotAfter = _time.GetUtcNow().AddHours(1); });
        _time.Advance(TimeSpan.FromHours(1));
        Assert.True(ValidateClient(leaf).IsValid);
        _time.Advance(TimeSpan.FromMilliseconds(999));
        Assert.True(ValidateClient(leaf).IsValid);
        _time.Advance(TimeSpan.FromMilliseconds(1));
        AssertRejected(ValidateClient(leaf), MtlsRejectionReason.Expired);
    }

    // ---------- the bad-certificate matrix ----------

    public static TheoryData<string> BadKinds() =>
    [
        "untrusted-root", "unknown-issuer-not-sent", "rogue-ca-same-name", "expired-leaf", "not-yet-valid-leaf", "expired-intermediate",
        "not-yet-valid-intermediate", "expired-pinned-root", "server-eku-as-client", "client-eku-as-server", "no-eku",
        "leaf-is-ca", "key-usage-without-digital-signature", "rsa-1024-leaf", "ec-p224-leaf", "sha1-signed-leaf",
        "sha1-signed-intermediate", "rsa-1024-intermediate", "missing-intermediate", "intermediate-not-ca", "path-length-exceeded",
        "name-constraints-violated", "self-signed-leaf", "chain-too-deep", "two-uri-sans-spiffe-required", "no-uri-san-spiffe-required",
        "spiffe-uppercase-trust-domain", "spiffe-trailing-slash", "spiffe-query", "spiffe-port", "spiffe-dot-segment",
        "spiffe-empty-segment", "spiffe-userinfo", "spiffe-id-not-allowed", "trust-domain-not-allowed", "server-name-mismatch",
        "server-name-only-in-cn", "intermediate-eku-excludes-role", "no-certificate",
    ];

    [Theory]
    [MemberData(nameof(BadKinds))]
    public void Validate_BadCertificate_RejectedWithItsReason(string kind)
    {
        var (result, expected) = RunBadCase(kind);
        AssertRejected(result, expected);
    }

    [Fact]
    public void BadMatrix_KindCount_AtLeastThirty() => Assert.True(BadKinds().Count >= 30);

    private (PeerValidationResult Result, MtlsRejectionReason Expected) RunBadCase(string kind)
    {
        var sut = CreateSut();
        var now = _time.GetUtcNow();
        var spiffeRequired = new PeerValidationOptions { RequireSpiffeId = true };
        switch (kind)
        {
            case "untrusted-root":
            {
                // The peer sends its whole chain, root included: the chain completes, at a root nobody pinned.
                using var other = TestPki.CreateRoot("Other Root", timeProvider: _time);
                using var leaf = other.IssueClient("x", Orders);
                return (sut.Validate(leaf.PublicCopy(), [other.PublicCopy()], _trust, PeerRole.Client), MtlsRejectionReason.UntrustedRoot);
            }

            case "unknown-issuer-not-sent":
            {
                using var other = TestPki.CreateRoot("Other Root", timeProvider: _time);
                using var leaf = other.IssueClient("x", Orders);
                return (ValidateClient(leaf), MtlsRejectionReason.UntrustedRoot);
            }

            case "rogue-ca-same-name":
            {
                using var rogue = TestPki.CreateRoot("Fleet Root", timeProvider: _time);
                using var leaf = rogue.IssueClient("x", Orders);
                return (ValidateClient(leaf), MtlsRejectionReason.UntrustedRoot);
            }

            case "expired-leaf":
            {
                using var leaf = _issuing.IssueLeaf("x", o => o.ForClient().ValidBetween(now.AddDays(-10), now.AddDays(-1)));
                return (ValidateClient(leaf), MtlsRejectionReason.Expired);
            }

            case "not-yet-valid-leaf":
            {
                using var leaf = _issuing.IssueLeaf("x", o => o.ForClient().ValidBetween(now.AddDays(1), now.AddDays(10)));
                return (ValidateClient(leaf), MtlsRejectionReason.NotYetValid);
            }

            case "expired-intermediate":
            {
                using var old = _root.CreateIntermediate("Old CA", o => o.ValidBetween(now.AddDays(-30), now.AddDays(-1)));
                using var leaf = old.IssueClient("x", Orders);
                return (ValidateClient(leaf), MtlsRejectionReason.Expired);
            }

            case "not-yet-valid-intermediate":
            {
                using var future = _root.CreateIntermediate("Future CA", o => o.ValidBetween(now.AddDays(1), now.AddDays(30)));
                using var leaf = future.IssueClient("x", Orders);
                return (ValidateClient(leaf), MtlsRejectionReason.NotYetValid);
            }

            case "expired-pinned-root":
            {
                using var oldRoot = TestPki.CreateRoot("Old Root", o => o.ValidBetween(now.AddDays(-60), now.AddDays(-1)), _time);
                using var leaf = oldRoot.IssueClient("x", Orders);
                return (ValidateClient(leaf, trust: oldRoot.ToTrustBundle()), MtlsRejectionReason.Expired);
            }

            case "server-eku-as-client":
            {
                using var leaf = _issuing.IssueLeaf("x", o => o.ForServer());
                return (ValidateClient(leaf), MtlsRejectionReason.WrongUsage);
            }

            case "client-eku-as-server":
            {
                using var leaf = _issuing.IssueLeaf("localhost", o => o.ForClient().WithDnsNames("localhost"));
                return (sut.Validate(leaf.PublicCopy(), leaf.IntermediatesCollection(), _trust, PeerRole.Server, expectedHostName: "localhost"), MtlsRejectionReason.WrongUsage);
            }

            case "no-eku":
            {
                using var leaf = _issuing.IssueLeaf("x", o => o.WithoutExtendedKeyUsage());
                return (ValidateClient(leaf), MtlsRejectionReason.MissingExtendedKeyUsage);
            }

            case "leaf-is-ca":
            {
                using var leaf = _issuing.IssueLeaf("x", o => { o.IsCa = true; o.ForClient(); });
                return (ValidateClient(leaf), MtlsRejectionReason.LeafIsCa);
            }

            case "key-usage-without-digital-signature":
            {
                using var leaf = _issuing.IssueLeaf("x", o => { o.ForClient(); o.KeyAlgorithm = TestKeyAlgorithm.Rsa2048; o.KeyUsage = X509KeyUsageFlags.KeyEncipherment; });
                return (ValidateClient(leaf), MtlsRejectionReason.KeyUsageNotAllowed);
            }

            case "rsa-1024-leaf":
            {
                using var leaf = _issuing.IssueLeaf("x", o => { o.ForClient(); o.KeyAlgorithm = TestKeyAlgorithm.Rsa1024; });
                return (ValidateClient(leaf), MtlsRejectionReason.WeakKey);
            }

            case "ec-p224-leaf":
            {
                using var leaf = _issuing.IssueLeaf("x", o => { o.ForClient(); o.KeyAlgorithm = TestKeyAlgorithm.EcdsaP224; });
                return (ValidateClient(leaf), MtlsRejectionReason.WeakKey);
            }

            case "sha1-signed-leaf":
            {
                using var leaf = _issuing.IssueLeaf("x", o => { o.ForClient(); o.SignatureHash = HashAlgorithmName.SHA1; });
                return (ValidateClient(leaf), MtlsRejectionReason.WeakSignatureAlgorithm);
            }

            case "sha1-signed-intermediate":
            {
                using var weak = _root.CreateIntermediate("SHA1 CA", o => o.SignatureHash = HashAlgorithmName.SHA1);
                using var leaf = weak.IssueClient("x", Orders);
                return (ValidateClient(leaf), MtlsRejectionReason.WeakSignatureAlgorithm);
            }

            case "rsa-1024-intermediate":
            {
                using var weak = _root.CreateIntermediate("Weak RSA CA", o => o.KeyAlgorithm = TestKeyAlgorithm.Rsa1024);
                using var leaf = weak.IssueClient("x", Orders);
                return (ValidateClient(leaf), MtlsRejectionReason.WeakKey);
            }

            case "missing-intermediate":
            {
                // The issuing CA is known below the pinned root from an accepted path of this snapshot: a missing intermediate.
                using var sibling = _issuing.IssueClient("y", Orders);
                Assert.True(sut.Validate(sibling.PublicCopy(), sibling.IntermediatesCollection(), _trust, PeerRole.Client).IsValid);
                using var leaf = _issuing.IssueClient("x", Orders);
                return (sut.Validate(leaf.PublicCopy(), [], _trust, PeerRole.Client), MtlsRejectionReason.PartialChain);
            }

            case "intermediate-not-ca":
            {
                using var notCa = _root.CreateIntermediate("Not A CA", o => o.IsCa = false);
                using var leaf = notCa.IssueClient("x", Orders);
                return (ValidateClient(leaf), MtlsRejectionReason.IntermediateNotCa);
            }

            case "path-length-exceeded":
            {
                using var limited = _root.CreateIntermediate("Limited CA", o => o.PathLength = 0);
                using var below = limited.CreateIntermediate("Below Limited CA");
                using var leaf = below.IssueClient("x", Orders);
                return (ValidateClient(leaf), MtlsRejectionReason.PathLengthExceeded);
            }

            case "name-constraints-violated":
            {
                using var constrained = _root.CreateIntermediate("Constrained CA", o => o.PermittedDnsSubtrees.Add("example.org"));
                using var leaf = constrained.IssueLeaf("x", o => o.ForClient().WithDnsNames("evil.example.com"));
                return (ValidateClient(leaf), MtlsRejectionReason.NameConstraintsViolated);
            }

            case "self-signed-leaf":
            {
                using var leaf = TestPki.CreateSelfSignedLeaf("self", o => o.ForClient(), _time);
                return (ValidateClient(leaf), MtlsRejectionReason.SelfSigned);
            }

            case "chain-too-deep":
            {
                using var second = _issuing.CreateIntermediate("Second CA");
                using var leaf = second.IssueClient("x", Orders);
                return (ValidateClient(leaf, new PeerValidationOptions { MaxChainDepth = 2 }), MtlsRejectionReason.ChainTooDeep);
            }

            case "two-uri-sans-spiffe-required":
            {
                using var leaf = _issuing.IssueLeaf("x", o => o.ForClient().WithSpiffeId(Orders).WithSpiffeId("spiffe://example.org/ns/prod/sa/admin"));
                return (ValidateClient(leaf, spiffeRequired), MtlsRejectionReason.MultipleUriSans);
            }

            case "no-uri-san-spiffe-required":
            {
                using var leaf = _issuing.IssueLeaf("x", o => o.ForClient().WithDnsNames("orders.example.org"));
                return (ValidateClient(leaf, spiffeRequired), MtlsRejectionReason.MissingSpiffeId);
            }

            case "spiffe-uppercase-trust-domain":
                return InvalidSpiffe("spiffe://Example.org/ns/prod/sa/orders");
            case "spiffe-trailing-slash":
                return InvalidSpiffe("spiffe://example.org/ns/prod/sa/orders/");
            case "spiffe-query":
                return InvalidSpiffe("spiffe://example.org/ns/prod?x=1");
            case "spiffe-port":
                return InvalidSpiffe("spiffe://example.org:8443/ns/prod");
            case "spiffe-dot-segment":
                return InvalidSpiffe("spiffe://example.org/ns/../admin");
            case "spiffe-empty-segment":
                return InvalidSpiffe("spiffe://example.org/ns//prod");
            case "spiffe-userinfo":
                return InvalidSpiffe("spiffe://admin@example.org/ns/prod");

            case "spiffe-id-not-allowed":
            {
                using var leaf = _issuing.IssueClient("x", "spiffe://example.org/ns/prod/sa/billing");
                var options = new PeerValidationOptions();
                options.AllowedPeers.Add(PeerIdentityPattern.Parse(Orders));
                return (ValidateClient(leaf, options), MtlsRejectionReason.IdentityNotAllowed);
            }

            case "trust-domain-not-allowed":
            {
                using var leaf = _issuing.IssueClient("x", "spiffe://evil.org/ns/prod/sa/orders");
                var options = new PeerValidationOptions();
                options.AllowedPeers.Add(PeerIdentityPattern.Parse("spiffe://example.org"));
                return (ValidateClient(leaf, options), MtlsRejectionReason.IdentityNotAllowed);
            }

            case "server-name-mismatch":
            {
                using var server = _issuing.IssueLeaf("api", o => o.ForServer().WithDnsNames("api.example.org"));
                return (sut.Validate(server.PublicCopy(), server.IntermediatesCollection(), _trust, PeerRole.Server, expectedHostName: "localhost"), MtlsRejectionReason.NameMismatch);
            }

            case "server-name-only-in-cn":
            {
                using var server = _issuing.IssueLeaf("localhost", o => o.ForServer());
                return (sut.Validate(server.PublicCopy(), server.IntermediatesCollection(), _trust, PeerRole.Server, expectedHostName: "localhost"), MtlsRejectionReason.NameMismatch);
            }

            case "intermediate-eku-excludes-role":
            {
                using var serverOnly = _root.CreateIntermediate("Server-only CA", o => o.ForServer());
                using var leaf = serverOnly.IssueClient("x", Orders);
                return (ValidateClient(leaf), MtlsRejectionReason.WrongUsage);
            }

            case "no-certificate":
                return (sut.Validate((X509Certificate2?)null, null, _trust, PeerRole.Client), MtlsRejectionReason.NoCertificate);

            default:
                throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown case");
        }

        (PeerValidationResult, MtlsRejectionReason) InvalidSpiffe(string id)
        {
            using var leaf = _issuing.IssueLeaf("x", o => o.ForClient().WithSpiffeId(id));
            return (ValidateClient(leaf), MtlsRejectionReason.InvalidSpiffeId);
        }
    }

    [Fact]
    public void Validate_MalformedDer_RejectedAsMalformed()
    {
        var result = CreateSut().Validate(TestPki.CreateMalformedDer(), null, _trust, PeerRole.Client);
        AssertRejected(result, MtlsRejectionReason.MalformedCertificate);
    }

    [Fact]
    public void Validate_ClientWildcardSanAgainstASpecificAllowedPeer_IdentityNotAllowed()
    {
        // Whoever holds a shared *.example.org certificate is not orders.example.org (issue 22 item 4).
        using var wildcard = _issuing.IssueLeaf("shared", o => o.ForClient().WithDnsNames("*.example.org"));
        var options = new PeerValidationOptions();
        options.AllowedPeers.Add(PeerIdentityPattern.Parse("orders.example.org"));

        AssertRejected(CreateSut().Validate(wildcard.PublicCopy(), wildcard.IntermediatesCollection(), _trust, PeerRole.Client, options), MtlsRejectionReason.IdentityNotAllowed);
    }

    [Fact]
    public void Validate_ServerWildcardSanAgainstExpectedServer_AcceptedAsRfc6125()
    {
        using var wildcard = _issuing.IssueLeaf("shared", o => o.ForServer().WithDnsNames("*.example.org"));
        var options = new PeerValidationOptions();
        options.AllowedPeers.Add(PeerIdentityPattern.Parse("orders.example.org"));

        Assert.True(CreateSut().Validate(wildcard.PublicCopy(), wildcard.IntermediatesCollection(), _trust, PeerRole.Server, options).IsValid);
        Assert.True(CreateSut().Validate(wildcard.PublicCopy(), wildcard.IntermediatesCollection(), _trust, PeerRole.Server, null, "orders.example.org").IsValid);
    }

    [Fact]
    public void Validate_ClientOfAForeignCaWithoutItsRoot_UntrustedRootNamingTheIssuerAndKeyIdentifier()
    {
        // Issue 24 item 10: a foreign client is UntrustedRoot whether or not it sends its root, so dashboards see them all.
        using var other = TestPki.CreateRoot("Foreign\nRoot", timeProvider: _time);
        using var leaf = other.IssueClient("stranger", Orders);
        var keyId = Convert.ToHexString(other.Certificate.Extensions.OfType<X509SubjectKeyIdentifierExtension>().Single().SubjectKeyIdentifierBytes.Span);

        var result = CreateSut().Validate(leaf.PublicCopy(), [], _trust, PeerRole.Client);

        AssertRejected(result, MtlsRejectionReason.UntrustedRoot);
        Assert.Contains("Foreign", result.Message, StringComparison.Ordinal);
        Assert.Contains($"key identifier {keyId}", result.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Validate_AiaUrlToLocalListener_IsNeverContacted()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var accept = listener.AcceptTcpClientAsync();

        using var hidden = _root.CreateIntermediate("Hidden CA");
        using var leaf = hidden.IssueLeaf("x", o => { o.ForClient(); o.CaIssuersUrl = new Uri($"http://127.0.0.1:{port}/hidden-ca.cer"); });

        var result = CreateSut().Validate(leaf.PublicCopy(), [], _trust, PeerRole.Client);

        AssertRejected(result, MtlsRejectionReason.UntrustedRoot);
        var winner = await Task.WhenAny(accept, Task.Delay(TimeSpan.FromMilliseconds(500)));
        Assert.NotSame(accept, winner);
        listener.Stop();
    }

    [Fact]
    public void Validate_RogueCaSameName_MessageNamesTheImpostor()
    {
        using var rogue = TestPki.CreateRoot("Fleet Root", timeProvider: _time);
        using var leaf = rogue.IssueClient("x", Orders);
        var result = ValidateClient(leaf);
        Assert.Contains("impostor", result.Message, StringComparison.Ordinal);
        Assert.Contains("Fleet Root", result.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_Rejection_MessageNamesCertificateAndPinnedCa()
    {
        using var other = TestPki.CreateRoot("Other CA", timeProvider: _time);
        using var leaf = other.IssueClient("orders", Orders);
        var result = ValidateClient(leaf);
        Assert.Contains("CN=orders", result.Message, StringComparison.Ordinal);
        Assert.Contains(leaf.ThumbprintSha256[..16], result.Message, StringComparison.Ordinal);
        Assert.Contains("CN=Other CA", result.Message, StringComparison.Ordinal);
        Assert.Contains("CN=Fleet Root", result.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ValidateBuiltChain_ChainBuiltWithPinnedPolicy_Accepted()
    {
        using var leaf = _issuing.IssueClient("orders", Orders);
        var sut = CreateSut();
        using var chain = new X509Chain { ChainPolicy = sut.CreateChainPolicy(_trust, PeerRole.Client) };
        chain.ChainPolicy.ExtraStore.AddRange(leaf.IntermediatesCollection());
        chain.Build(leaf.PublicCopy());
        Assert.True(sut.ValidateBuiltChain(leaf.PublicCopy(), chain, _trust, PeerRole.Client).IsValid);
    }

    [Fact]
    public void ValidateBuiltChain_ChainBuiltWithSystemTrust_IsRebuiltWithPins()
    {
        using var other = TestPki.CreateRoot("Other Root", timeProvider: _time);
        using var leaf = other.IssueClient("x", Orders);
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(other.PublicCopy()); // a policy that trusts the attacker's CA
        chain.ChainPolicy.DisableCertificateDownloads = true;
        chain.Build(leaf.PublicCopy());
        var result = CreateSut().ValidateBuiltChain(leaf.PublicCopy(), chain, _trust, PeerRole.Client);
        Assert.False(result.IsValid);
        Assert.Contains("Pinned: CN=Fleet Root", result.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_NullTrust_Throws() =>
        Assert.Throws<ArgumentNullException>(() => CreateSut().Validate((X509Certificate2?)null, null, null!, PeerRole.Client));
}
