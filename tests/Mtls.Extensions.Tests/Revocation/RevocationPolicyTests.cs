using System.Numerics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Time.Testing;
using Mtls.Extensions.Internal;
using Mtls.Extensions.Testing;

namespace Mtls.Extensions.Tests.Revocation;

/// <summary>The validator's revocation step: the denylist entries and CRLs (made by .NET's CRL builder) judged per path.</summary>
public sealed class RevocationPolicyTests : IDisposable
{
    private const string Orders = "spiffe://example.org/ns/prod/sa/orders";
    private const string Key = "Mtls:Server:Revocation";
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 22, 12, 0, 0, TimeSpan.Zero));
    private readonly TestCertificateAuthority _root;
    private readonly TestCertificateAuthority _issuing;
    private readonly TrustBundle _trust;

    public RevocationPolicyTests()
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

    private PeerValidationResult Validate(TestCertificate leaf, RevocationPolicy revocation) =>
        new PeerCertificateValidator(_time).Validate(leaf.PublicCopy(), leaf.IntermediatesCollection(), _trust, PeerRole.Client, new PeerValidationOptions { Revocation = revocation });

    private static RevocationPolicy Deny(params string[] entries) =>
        new(DenyList.FromConfiguration(entries, Key + ":Deny"), [], new MtlsRevocationOptions(), Key);

    private static RevocationPolicy Crls(IReadOnlyList<CertificateRevocationList> crls, Action<MtlsRevocationOptions>? configure = null)
    {
        var options = new MtlsRevocationOptions();
        configure?.Invoke(options);
        return new(DenyList.Empty, crls, options, Key);
    }

    /// <summary>A CRL of <paramref name="issuer"/> listing <paramref name="revoked"/>, valid from now for two hours.</summary>
    private CertificateRevocationList Crl(TestCertificateAuthority issuer, params TestCertificate[] revoked)
    {
        var builder = new CertificateRevocationListBuilder();
        foreach (var certificate in revoked)
        {
            builder.AddEntry(certificate.Certificate, _time.GetUtcNow().AddHours(-1), X509RevocationReason.KeyCompromise);
        }

        var der = builder.Build(issuer.Certificate, BigInteger.One, _time.GetUtcNow().AddHours(2), HashAlgorithmName.SHA256, thisUpdate: _time.GetUtcNow().AddMinutes(-1));
        return CertificateRevocationList.Parse(der, "test.crl");
    }

    private static void AssertRevoked(PeerValidationResult result, string expectedText)
    {
        Assert.False(result.IsValid, "expected a revocation, but the certificate was accepted");
        Assert.True(result.Reason == MtlsRejectionReason.Revoked, $"expected Revoked, got {result.Reason}: {result.Message}");
        Assert.Contains(expectedText, result.Message, StringComparison.Ordinal);
    }

    private static void AssertRevocationUnknown(PeerValidationResult result, string expectedText)
    {
        Assert.False(result.IsValid, "expected a refusal, but the certificate was accepted");
        Assert.True(result.Reason == MtlsRejectionReason.RevocationUnknown, $"expected RevocationUnknown, got {result.Reason}: {result.Message}");
        Assert.Contains("has no", result.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("is revoked", result.Message, StringComparison.Ordinal);
        Assert.Contains(expectedText, result.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Deny_CertificateSha256_RevokedNamingTheEntry()
    {
        using var leaf = _issuing.IssueClient("orders", Orders);
        var hash = Convert.ToHexString(SHA256.HashData(leaf.Certificate.RawData));
        AssertRevoked(Validate(leaf, Deny("sha256:" + hash.ToLowerInvariant())), $"{Key}:Deny:0");
    }

    [Fact]
    public void Deny_SpkiSha256WithColons_Revoked()
    {
        using var leaf = _issuing.IssueClient("orders", Orders);
        var hex = Convert.ToHexString(SHA256.HashData(leaf.Certificate.PublicKey.ExportSubjectPublicKeyInfo()));
        var withColons = string.Join(':', Enumerable.Range(0, 32).Select(i => hex.Substring(i * 2, 2)));
        AssertRevoked(Validate(leaf, Deny("spki-sha256:" + withColons)), "spki-sha256:");
    }

    [Fact]
    public void Deny_SerialAnyIssuerAndWithIssuer_Revoked()
    {
        using var leaf = _issuing.IssueClient("orders", Orders);
        AssertRevoked(Validate(leaf, Deny("serial:" + leaf.Certificate.SerialNumber)), "serial:");
        AssertRevoked(Validate(leaf, Deny($"serial:{leaf.Certificate.SerialNumber};issuer:{_issuing.Certificate.Subject}")), "issuer:");
    }

    [Fact]
    public void Deny_SerialWithOtherIssuer_Accepted()
    {
        using var leaf = _issuing.IssueClient("orders", Orders);
        var result = Validate(leaf, Deny($"serial:{leaf.Certificate.SerialNumber};issuer:CN=Someone Else"));
        Assert.True(result.IsValid, result.Message);
    }

    [Fact]
    public void Deny_SpiffeId_RevokedOnlyThatIdentity()
    {
        using var orders = _issuing.IssueClient("orders", Orders);
        using var billing = _issuing.IssueClient("billing", "spiffe://example.org/ns/prod/sa/billing");
        var policy = Deny(Orders);
        AssertRevoked(Validate(orders, policy), Orders);
        Assert.True(Validate(billing, policy).IsValid);
    }

    [Theory]
    [InlineData("sha256:abc", "64 hexadecimal digits")]
    [InlineData("serial:xyz", "hexadecimal")]
    [InlineData("spiffe://", "SPIFFE ID")]
    [InlineData("orders", "use 'sha256:")]
    [InlineData("serial:01;subject:CN=x", "issuer:")]
    public void Deny_MalformedEntry_ThrowsNamingItsKey(string entry, string expected)
    {
        var error = Assert.Throws<InvalidOperationException>(() => DenyList.FromConfiguration(["sha256:" + new string('A', 64), entry], Key + ":Deny"));
        Assert.StartsWith($"{Key}:Deny:1: '", error.Message, StringComparison.Ordinal);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Crl_LeafListed_RevokedNamingTheCrl()
    {
        using var leaf = _issuing.IssueClient("orders", Orders);
        using var other = _issuing.IssueClient("other", "spiffe://example.org/other");
        var crl = Crl(_issuing, leaf);
        AssertRevoked(Validate(leaf, Crls([crl])), "is listed in the CRL test.crl");
        Assert.True(Validate(other, Crls([crl])).IsValid);
    }

    [Fact]
    public void Crl_PastNextUpdate_FailsClosedUnlessAllowedOrWithinGrace()
    {
        using var leaf = _issuing.IssueClient("orders", Orders);
        var crl = Crl(_issuing);
        _time.Advance(TimeSpan.FromHours(2) + TimeSpan.FromMinutes(1));
        AssertRevocationUnknown(Validate(leaf, Crls([crl])), $"{Key}:AllowStaleCrl");
        Assert.True(Validate(leaf, Crls([crl], o => o.AllowStaleCrl = true)).IsValid);
        Assert.True(Validate(leaf, Crls([crl], o => o.CrlGracePeriod = TimeSpan.FromHours(1))).IsValid);
    }

    [Fact]
    public void Crl_StaleButListing_RevokedEvenWhenStaleAllowed()
    {
        using var leaf = _issuing.IssueClient("orders", Orders);
        var crl = Crl(_issuing, leaf);
        _time.Advance(TimeSpan.FromHours(3));
        AssertRevoked(Validate(leaf, Crls([crl], o => o.AllowStaleCrl = true)), "is listed");
    }

    [Fact]
    public void Crl_SignedByAnotherKeyWithTheIssuersName_RejectedAsUnverifiable()
    {
        using var leaf = _issuing.IssueClient("orders", Orders);
        using var impostor = TestPki.CreateRoot("Fleet Issuing CA", timeProvider: _time);
        var forged = Crl(impostor);
        Assert.Equal(forged.Issuer.ToArray(), leaf.Certificate.IssuerName.RawData);
        AssertRevocationUnknown(Validate(leaf, Crls([forged])), "does not verify");
    }

    [Fact]
    public void Crl_IntermediateRevoked_RefusedOnlyWithCheckWholePath()
    {
        using var leaf = _issuing.IssueClient("orders", Orders);
        var builder = new CertificateRevocationListBuilder();
        builder.AddEntry(_issuing.Certificate.GetSerialNumber().Reverse().ToArray(), _time.GetUtcNow().AddHours(-1));
        var rootCrl = CertificateRevocationList.Parse(builder.Build(_root.Certificate, BigInteger.One, _time.GetUtcNow().AddDays(1), HashAlgorithmName.SHA256, thisUpdate: _time.GetUtcNow()), "root.crl");
        Assert.True(Validate(leaf, Crls([rootCrl])).IsValid);
        AssertRevoked(Validate(leaf, Crls([rootCrl], o => o.CheckWholePath = true)), "through CN=Fleet Issuing CA");
    }

    [Fact]
    public void Crl_NoneForTheIssuer_AcceptedUnlessRequired()
    {
        using var leaf = _issuing.IssueClient("orders", Orders);
        var rootCrl = Crl(_root);
        Assert.True(Validate(leaf, Crls([rootCrl])).IsValid);
        AssertRevocationUnknown(Validate(leaf, Crls([rootCrl], o => o.RequireCrl = true)), $"{Key}:RequireCrl");
    }

    [Fact]
    public void Crl_NewestOfSeveralForOneIssuer_Decides()
    {
        using var leaf = _issuing.IssueClient("orders", Orders);
        var old = Crl(_issuing);
        _time.Advance(TimeSpan.FromHours(1));
        var newer = Crl(_issuing, leaf);
        AssertRevoked(Validate(leaf, Crls([old, newer])), "is listed");
    }
}
