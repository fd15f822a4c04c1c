using System.Net.Security;
using Mtls.Extensions.Infrastructure;
using Mtls.Extensions.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Mtls.Extensions.Spiffe.Tests;

/// <summary>
/// A combined bundle file (spiffe-helper's <c>svid_bundle.pem</c> with <c>include_federated_domains</c>, cert-manager's
/// <c>ca.crt</c> with several roots, a <c>TrustedCa:Path</c>) is split by each anchor's own trust domain: a federated
/// root never vouches for the local trust domain, and the reverse (invariant 14).
/// </summary>
public sealed class CombinedBundleTests : IDisposable
{
    private const string PartnerDomain = "spiffe://partner.org";
    private readonly SpiffePki _pki = new();
    private readonly string _folder = Directory.CreateTempSubdirectory("spiffe-combined-").FullName;

    // SPIRE and csi-driver-spiffe put the trust domain's ID in their CA certificates; the local root here has none.
    private readonly TestCertificateAuthority _partnerRoot = TestPki.CreateRoot("partner.org root", o => o.Uris.Add(PartnerDomain));

    public void Dispose()
    {
        _partnerRoot.Dispose();
        _pki.Dispose();
        Directory.Delete(_folder, recursive: true);
    }

    public static TheoryData<string> Layouts => ["SpiffeHelper", "CertManager", "TrustedCaPath"];

    [Theory]
    [MemberData(nameof(Layouts))]
    public async Task CombinedBundle_PeerOfLocalDomainSignedByFederatedRoot_RefusedNamingBothDomains(string layout)
    {
        using var serverSvid = _pki.IssueServer();
        await using var server = await SpiffeServer.StartAsync(WriteLayout(layout, serverSvid));
        using var local = _pki.IssueClient(SpiffePki.ClientId);
        using var partner = _pki.IssueClient("spiffe://partner.org/ns/prod/sa/billing", _partnerRoot);
        using var impostor = _pki.IssueClient(SpiffePki.ClientId, _partnerRoot);

        // Each domain's own peers still get in; the partner root cannot vouch for example.org.
        Assert.Equal(local.ThumbprintSha256, await CallAsync(server, local));
        Assert.Equal(partner.ThumbprintSha256, await CallAsync(server, partner));
        await Assert.ThrowsAnyAsync<HttpRequestException>(() => CallAsync(server, impostor));

        var verdict = Judge(server, impostor);
        Assert.False(verdict.IsValid);
        Assert.Contains("example.org", verdict.Message, StringComparison.Ordinal);
        Assert.Contains("partner.org", verdict.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Layouts))]
    public async Task CombinedBundle_PeerOfFederatedDomainSignedByLocalRoot_Refused(string layout)
    {
        using var serverSvid = _pki.IssueServer();
        await using var server = await SpiffeServer.StartAsync(WriteLayout(layout, serverSvid));
        using var impostor = _pki.IssueClient("spiffe://partner.org/ns/prod/sa/billing", _pki.Root);

        await Assert.ThrowsAnyAsync<HttpRequestException>(() => CallAsync(server, impostor));
        var verdict = Judge(server, impostor);
        Assert.False(verdict.IsValid);
        Assert.Contains("partner.org", verdict.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CombinedBundle_UnlabelledAnchorWithoutLocalTrustDomain_StartupErrorUntilTrustDomainIsSet()
    {
        // A server certificate without a SPIFFE ID: nothing says which trust domain the unlabelled root belongs to.
        using var plainServer = _pki.Root.IssueLocalhostServer("inventory");
        var settings = WriteLayout("TrustedCaPath", plainServer);
        var ex = await Assert.ThrowsAnyAsync<Exception>(() => SpiffeServer.StartAsync(settings));
        Assert.Contains("Mtls:Server:TrustedCa:TrustDomain", ex.ToString(), StringComparison.Ordinal);
        Assert.Contains("example.org root", ex.ToString(), StringComparison.Ordinal);

        var prefix = $"MTLS_TEST_{Guid.NewGuid():N}_";
        Environment.SetEnvironmentVariable(prefix + "Mtls__Server__TrustedCa__TrustDomain", "example.org");
        try
        {
            await using var server = await SpiffeServer.StartAsync(settings, prefix);
            using var local = _pki.IssueClient(SpiffePki.ClientId);
            using var impostor = _pki.IssueClient(SpiffePki.ClientId, _partnerRoot);
            Assert.Equal(local.ThumbprintSha256, await CallAsync(server, local));
            await Assert.ThrowsAnyAsync<HttpRequestException>(() => CallAsync(server, impostor));
        }
        finally
        {
            Environment.SetEnvironmentVariable(prefix + "Mtls__Server__TrustedCa__TrustDomain", null);
        }
    }

    [Fact]
    public async Task CombinedBundle_AnchorWhoseSpiffeIdHasAPath_StartupErrorNamingTheAnchor()
    {
        using var badRoot = TestPki.CreateRoot("odd root", o => o.Uris.Add("spiffe://partner.org/ca"));
        using var serverSvid = _pki.IssueServer();
        var settings = WriteLayout("SpiffeHelper", serverSvid, badRoot);
        var ex = await Assert.ThrowsAnyAsync<Exception>(() => SpiffeServer.StartAsync(settings));
        Assert.Contains("odd root", ex.ToString(), StringComparison.Ordinal);
        Assert.Contains("spiffe://partner.org/ca", ex.ToString(), StringComparison.Ordinal);
    }

    private Dictionary<string, string?> WriteLayout(string layout, TestCertificate serverSvid, TestCertificateAuthority? federated = null)
    {
        // The local root first, without a SPIFFE ID; then the federated root, with its trust domain's ID.
        var bundle = _pki.Root.ExportCertificatePem() + (federated ?? _partnerRoot).ExportCertificatePem();
        var settings = new Dictionary<string, string?>(StringComparer.Ordinal);
        switch (layout)
        {
            case "SpiffeHelper":
                new SpiffeHelperWriter(_folder).Write(serverSvid, bundle);
                settings["Mtls:Server:Certificate:Directory"] = _folder;
                settings["Mtls:Server:Certificate:Layout"] = "SpiffeHelper";
                break;
            case "CertManager":
                KubernetesSecretVolume.Create(_folder).WriteCertManagerSecret(serverSvid, bundle);
                settings["Mtls:Server:Certificate:Directory"] = _folder;
                settings["Mtls:Server:Certificate:Layout"] = "CertManager";
                break;
            default:
                var cert = Path.Combine(_folder, "server.pem");
                var key = Path.Combine(_folder, "server.key");
                var ca = Path.Combine(_folder, "ca.pem");
                serverSvid.WritePem(cert, key);
                File.WriteAllText(ca, bundle);
                settings["Mtls:Server:Certificate:Path"] = cert;
                settings["Mtls:Server:Certificate:KeyPath"] = key;
                settings["Mtls:Server:TrustedCa:Path"] = ca;
                break;
        }

        return settings;
    }

    private static PeerValidationResult Judge(SpiffeServer server, TestCertificate peer)
    {
        // The server's trust source (cached by name: the options given here are not read again).
        var trust = server.Services.GetRequiredService<MtlsSourceFactory>().GetTrustBundleSource("server", new TrustedCaOptions()).Current;
        return new PeerCertificateValidator().Validate(peer.Certificate, peer.IntermediatesCollection(), trust, PeerRole.Client);
    }

    private static async Task<string> CallAsync(SpiffeServer server, TestCertificate client)
    {
        using var handler = new SocketsHttpHandler
        {
            SslOptions =
            {
                ClientCertificateContext = SslStreamCertificateContext.Create(client.Certificate, null, offline: true),
                RemoteCertificateValidationCallback = (_, _, _, _) => true,
            },
        };
        using var http = new HttpClient(handler) { BaseAddress = server.BaseAddress };
        return await http.GetStringAsync("/whoami");
    }
}
