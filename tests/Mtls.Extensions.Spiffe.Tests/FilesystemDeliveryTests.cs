using System.Security.Cryptography;
using Mtls.Extensions.Infrastructure;
using Mtls.Extensions.Testing;

namespace Mtls.Extensions.Spiffe.Tests;

/// <summary>SPIFFE Filesystem Delivery: a credential folder with one credential bundle and one trust bundle per trust domain.</summary>
public sealed class FilesystemDeliveryTests : IDisposable
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);
    private readonly SpiffePki _pki = new();
    private readonly string _folder = Directory.CreateTempSubdirectory("spiffe-credentials-").FullName;

    public void Dispose()
    {
        _pki.Dispose();
        Directory.Delete(_folder, recursive: true);
    }

    [Fact]
    public async Task CredentialFolder_FilesystemDelivery_ServesSvidFederatesPerTrustDomainAndReloadsOnRotation()
    {
        using var first = _pki.IssueServer();
        WriteCredentialBundle(first);
        File.WriteAllText(Path.Combine(_folder, "example.org.spiffe-trust-bundle.pem"), _pki.Root.ExportCertificatePem());
        File.WriteAllText(Path.Combine(_folder, "partner.org.spiffe-trust-bundle.pem"), _pki.PartnerRoot.ExportCertificatePem());
        await using var server = await SpiffeServer.StartAsync(new Dictionary<string, string?>
        {
            ["Mtls:Server:Certificate:Directory"] = _folder,
            ["Mtls:Server:Certificate:Layout"] = "SpiffeFilesystem",
            ["Mtls:Server:Reload:DebounceDelay"] = "00:00:00.050",
        });
        using var partner = _pki.IssueClient(SpiffePki.PartnerClientId, _pki.PartnerRoot);
        using var forged = _pki.IssueClient(SpiffePki.PartnerClientId, _pki.Root);

        using (var presented = await server.HandshakeAsync(partner.Certificate))
        {
            Assert.Equal(first.ThumbprintSha256, presented.GetCertHashString(HashAlgorithmName.SHA256));
        }

        Assert.Equal(partner.ThumbprintSha256, await CallAsync(server, partner));
        await Assert.ThrowsAnyAsync<HttpRequestException>(() => CallAsync(server, forged));

        var source = server.Services.GetService(typeof(MtlsSourceFactory)) as MtlsSourceFactory;
        var certificate = source!.GetCertificateSource("server", new CertificateSourceOptions { Directory = _folder, Layout = CertificateDirectoryLayout.SpiffeFilesystem });
        var rotated = ChangeTokens.Next(certificate.GetChangeToken());
        using var second = _pki.IssueServer();
        WriteCredentialBundle(second);
        await rotated.WaitAsync(Wait);
        using var after = await server.HandshakeAsync(partner.Certificate);
        Assert.Equal(second.ThumbprintSha256, after.GetCertHashString(HashAlgorithmName.SHA256));
    }

    [Fact]
    public void CredentialFolder_FromSpiffeCredentialFolder_WhenTheLayoutIsSelectedWithoutDirectory()
    {
        using var leaf = _pki.IssueServer();
        WriteCredentialBundle(leaf);
        Environment.SetEnvironmentVariable("SPIFFE_CREDENTIAL_FOLDER", _folder);
        try
        {
            var options = new CertificateSourceOptions { Layout = CertificateDirectoryLayout.SpiffeFilesystem };
            Assert.True(options.IsConfigured);
            Assert.Equal(leaf.ThumbprintSha256, CertificateMaterial.Load(options).ThumbprintSha256);
        }
        finally
        {
            Environment.SetEnvironmentVariable("SPIFFE_CREDENTIAL_FOLDER", null);
        }
    }

    private void WriteCredentialBundle(TestCertificate leaf)
    {
        // Key first, then the chain (never the root); written atomically as provisioning systems SHOULD.
        var temp = Path.Combine(_folder, ".credential.tmp");
        File.WriteAllText(temp, leaf.ExportKeyPem() + leaf.ExportCertificatePem(includeChain: true));
        File.Move(temp, Path.Combine(_folder, "credential-bundle.private-key.pem"), overwrite: true);
    }

    private static async Task<string> CallAsync(SpiffeServer server, TestCertificate client)
    {
        using var handler = new SocketsHttpHandler
        {
            SslOptions =
            {
                ClientCertificateContext = System.Net.Security.SslStreamCertificateContext.Create(client.Certificate, null, offline: true),
                RemoteCertificateValidationCallback = (_, _, _, _) => true,
            },
        };
        using var http = new HttpClient(handler) { BaseAddress = server.BaseAddress };
        return await http.GetStringAsync("/whoami");
    }
}
