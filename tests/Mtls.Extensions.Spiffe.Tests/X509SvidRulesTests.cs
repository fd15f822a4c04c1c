using System.Security.Cryptography.X509Certificates;
using Mtls.Extensions.Testing;

namespace Mtls.Extensions.Spiffe.Tests;

/// <summary>The X509-SVID rules for validators, wherever a SPIFFE identity is required.</summary>
public sealed class X509SvidRulesTests : IDisposable
{
    private readonly SpiffePki _pki = new();
    private readonly PeerCertificateValidator _validator = new();
    private readonly PeerValidationOptions _svid = new() { RequireSpiffeId = true };

    public void Dispose() => _pki.Dispose();

    [Fact]
    public void Validate_GoodSvidThroughIntermediateWithTrustDomainId_Accepted()
    {
        using var issuing = _pki.Root.CreateIntermediate("example.org issuing", o => o.WithSpiffeId("spiffe://example.org"));
        using var leaf = issuing.IssueClient("orders", SpiffePki.ClientId);
        var result = _validator.Validate(leaf.Certificate, leaf.IntermediatesCollection(), _pki.Root.ToTrustBundle(), PeerRole.Client, _svid);
        Assert.True(result.IsValid, result.Message);
    }

    [Theory]
    [InlineData(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyCertSign)]
    [InlineData(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.CrlSign)]
    public void Validate_LeafAssertsCertOrCrlSigning_Refused(X509KeyUsageFlags usage)
    {
        using var leaf = _pki.Root.IssueLeaf("orders", o => o.ForClient().WithSpiffeId(SpiffePki.ClientId).KeyUsage = usage);
        var result = _validator.Validate(leaf.Certificate, null, _pki.Root.ToTrustBundle(), PeerRole.Client, _svid);
        Assert.False(result.IsValid);
        Assert.Equal(MtlsRejectionReason.KeyUsageNotAllowed, result.Reason);
    }

    [Fact]
    public void Validate_LeafIdIsTheTrustDomainItself_Refused()
    {
        using var leaf = _pki.Root.IssueClient("root-id", "spiffe://example.org");
        var result = _validator.Validate(leaf.Certificate, null, _pki.Root.ToTrustBundle(), PeerRole.Client, _svid);
        Assert.False(result.IsValid);
        Assert.Equal(MtlsRejectionReason.InvalidSpiffeId, result.Reason);
    }

    [Fact]
    public void Validate_SigningCertificateWithAWorkloadPath_Refused()
    {
        using var issuing = _pki.Root.CreateIntermediate("rogue issuing", o => o.WithSpiffeId("spiffe://example.org/ns/prod/sa/ca"));
        using var leaf = issuing.IssueClient("orders", SpiffePki.ClientId);
        var result = _validator.Validate(leaf.Certificate, leaf.IntermediatesCollection(), _pki.Root.ToTrustBundle(), PeerRole.Client, _svid);
        Assert.False(result.IsValid);
        Assert.Equal(MtlsRejectionReason.InvalidSpiffeId, result.Reason);
        Assert.Contains("signing certificate", result.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_TwoUriSans_RefusedWhenSpiffeRequired()
    {
        using var leaf = _pki.Root.IssueLeaf("two", o =>
        {
            o.ForClient().WithSpiffeId(SpiffePki.ClientId);
            o.Uris.Add("spiffe://example.org/ns/prod/sa/admin");
        });
        var result = _validator.Validate(leaf.Certificate, null, _pki.Root.ToTrustBundle(), PeerRole.Client, _svid);
        Assert.False(result.IsValid);
        Assert.Equal(MtlsRejectionReason.MultipleUriSans, result.Reason);
    }
}
