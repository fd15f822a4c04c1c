using Microsoft.Extensions.DependencyInjection;
using Mtls.Extensions.Infrastructure;
using Mtls.Extensions.Testing;

namespace Mtls.Extensions.Spiffe.Tests;

public sealed class TrustDomainBundleTests : IDisposable
{
    private readonly SpiffePki _pki = new();
    private readonly string _folder = Directory.CreateTempSubdirectory("spiffe-bundles-").FullName;

    public void Dispose()
    {
        _pki.Dispose();
        Directory.Delete(_folder, recursive: true);
    }

    [Fact]
    public void ForPeer_SpiffePeer_GetsOnlyItsTrustDomainsBundleOthersGetPlainOrNothing()
    {
        var bundle = TrustBundle.CreateForTrustDomains(new Dictionary<string, IEnumerable<System.Security.Cryptography.X509Certificates.X509Certificate2>>
        {
            ["example.org"] = [_pki.Root.PublicCopy()],
            ["spiffe://partner.org"] = [_pki.PartnerRoot.PublicCopy()],
        });
        using var local = _pki.IssueClient();
        using var partner = _pki.IssueClient(SpiffePki.PartnerClientId, _pki.PartnerRoot);
        using var stranger = _pki.IssueClient("spiffe://stranger.org/x");
        using var plain = _pki.Root.IssueClient("no-spiffe");

        Assert.Equal(2, bundle.Anchors.Count);
        Assert.True(bundle.ForPeer(local.Certificate).Contains(_pki.Root.Certificate));
        Assert.False(bundle.ForPeer(local.Certificate).Contains(_pki.PartnerRoot.Certificate));
        Assert.True(bundle.ForPeer(partner.Certificate).Contains(_pki.PartnerRoot.Certificate));
        Assert.False(bundle.ForPeer(partner.Certificate).Contains(_pki.Root.Certificate));
        Assert.Empty(bundle.ForPeer(stranger.Certificate).Anchors);
        Assert.Empty(bundle.ForPeer(plain.Certificate).Anchors);
        Assert.Same(bundle.TrustDomains["example.org"], bundle.ForPeer(local.Certificate));
    }

    [Fact]
    public void ContentHash_MovingACaToAnotherTrustDomain_IsAChange()
    {
        var a = TrustBundle.CreateForTrustDomains(new Dictionary<string, IEnumerable<System.Security.Cryptography.X509Certificates.X509Certificate2>> { ["example.org"] = [_pki.Root.PublicCopy()], ["partner.org"] = [_pki.PartnerRoot.PublicCopy()] });
        var b = TrustBundle.CreateForTrustDomains(new Dictionary<string, IEnumerable<System.Security.Cryptography.X509Certificates.X509Certificate2>> { ["example.org"] = [_pki.PartnerRoot.PublicCopy()], ["partner.org"] = [_pki.Root.PublicCopy()] });
        Assert.NotEqual(a.ContentHash, b.ContentHash);
    }

    [Fact]
    public void Validator_PerDomainBundlesFromConfiguration_OwnDomainAcceptedOtherDomainsCaRefusedPlainPeerUsesPath()
    {
        var options = new TrustedCaOptions { Path = _pki.Root.WriteCertificatePem(Path.Combine(_folder, "plain.pem")) };
        options.Bundles["example.org"] = new TrustDomainBundleOptions { Path = _pki.Root.WriteCertificatePem(Path.Combine(_folder, "example.pem")) };
        options.Bundles["partner.org"] = new TrustDomainBundleOptions { Pem = _pki.PartnerRoot.ExportCertificatePem() };
        using var services = new ServiceCollection().AddMtlsCore().BuildServiceProvider();
        var trust = services.GetRequiredService<MtlsSourceFactory>().GetTrustBundleSource("t", options).Current;
        var validator = services.GetRequiredService<PeerCertificateValidator>();

        using var partner = _pki.IssueClient(SpiffePki.PartnerClientId, _pki.PartnerRoot);
        using var forged = _pki.IssueClient(SpiffePki.PartnerClientId, _pki.Root);
        using var plain = _pki.Root.IssueClient("no-spiffe");
        Assert.True(validator.Validate(partner.Certificate, null, trust, PeerRole.Client).IsValid);
        var refused = validator.Validate(forged.Certificate, null, trust, PeerRole.Client);
        Assert.False(refused.IsValid);
        Assert.Contains(refused.Reason, new[] { MtlsRejectionReason.UntrustedRoot, MtlsRejectionReason.PartialChain });
        Assert.True(validator.Validate(plain.Certificate, null, trust, PeerRole.Client).IsValid);
    }

    [Fact]
    public void BundlesDirectory_OneFilePerTrustDomain_NamedByTheFile()
    {
        File.WriteAllText(Path.Combine(_folder, "example.org.spiffe-trust-bundle.pem"), _pki.Root.ExportCertificatePem());
        File.WriteAllText(Path.Combine(_folder, "partner.org.spiffe-trust-bundle.pem"), _pki.PartnerRoot.ExportCertificatePem());
        using var services = new ServiceCollection().AddMtlsCore().BuildServiceProvider();
        var trust = services.GetRequiredService<MtlsSourceFactory>().GetTrustBundleSource("t", new TrustedCaOptions { BundlesDirectory = _folder }).Current;
        Assert.Equal(["example.org", "partner.org"], trust.TrustDomains.Keys.Order(StringComparer.Ordinal));
        Assert.True(trust.TrustDomains["partner.org"].Contains(_pki.PartnerRoot.Certificate));
    }

    [Fact]
    public async Task Server_AllowedPeerInTrustDomainWithoutBundle_StartupError()
    {
        var ca = _pki.Root.WriteCertificatePem(Path.Combine(_folder, "example.pem"));
        using var server = _pki.IssueServer();
        var cert = Path.Combine(_folder, "server.pem");
        var key = Path.Combine(_folder, "server.key");
        server.WritePem(cert, key);
        var ex = await Assert.ThrowsAnyAsync<Exception>(() => SpiffeServer.StartAsync(new Dictionary<string, string?>
        {
            ["Mtls:Server:Certificate:Path"] = cert,
            ["Mtls:Server:Certificate:KeyPath"] = key,
            ["Mtls:Server:TrustedCa:Bundles:example.org:Path"] = ca,
            ["Mtls:Server:AllowedPeers:0"] = "spiffe://example.org/ns/prod/sa/orders",
            ["Mtls:Server:AllowedPeers:1"] = "spiffe://unknown.org",
        }));
        Assert.True(ex.ToString().Contains("AllowedPeers", StringComparison.Ordinal), ex.ToString());
        Assert.Contains("unknown.org", ex.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Factory_WorkloadApiWithoutThePackage_StartupErrorNamesThePackage()
    {
        using var services = new ServiceCollection().AddMtlsCore().BuildServiceProvider();
        var ex = Assert.Throws<CertificateLoadException>(() => services.GetRequiredService<MtlsSourceFactory>()
            .GetCertificateSource("server", new CertificateSourceOptions { WorkloadApi = { Socket = "unix:///tmp/agent.sock" } }, configurationPath: "Mtls:Server:Certificate"));
        Assert.Contains("Mtls.Extensions.Spiffe", ex.Message, StringComparison.Ordinal);
        Assert.Contains("AddMtlsSpiffe", ex.Message, StringComparison.Ordinal);
    }
}
