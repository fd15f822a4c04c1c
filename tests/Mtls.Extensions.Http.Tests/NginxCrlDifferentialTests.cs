using Mtls.Extensions.Tests.Interop;

namespace Mtls.Extensions.Http.Tests;

/// <summary>
/// A differential test: the same client certificates and the same CRLs (made by <c>openssl ca -gencrl</c>) judged by nginx
/// with <c>ssl_crl</c> and by the library's server; curl is the client of both. Valid, revoked and stale cases must get the
/// same verdict. nginx checks the CRL of every CA in the chain (here: a root that issues the leaves directly).
/// </summary>
public sealed class NginxCrlDifferentialTests(ClientPki pki) : IClassFixture<ClientPki>
{
    private static async Task<bool> CurlAcceptedAsync(Uri address, string certificate, string key)
    {
        var info = new System.Diagnostics.ProcessStartInfo("curl", ["-sk", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "10", "--cert", certificate, "--key", key, new Uri(address, "/whoami").ToString()])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using var process = System.Diagnostics.Process.Start(info)!;
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        // nginx answers a refused client certificate with 400; the library's server ends the handshake (curl: 000).
        return output.Trim() == "200";
    }

    [InteropTheory("nginx", "openssl", "curl")]
    [InlineData("valid", "good", false, true)]
    [InlineData("revoked", "revoked", false, false)]
    [InlineData("stale", "good", true, false)]
    public async Task SslCrl_SameCertificatesAndCrls_SameVerdictAsNginx(string @case, string leaf, bool stale, bool expected)
    {
        using var ca = new OpensslCa("Differential Root");
        var (good, goodKey) = ca.Issue("good");
        var (revoked, revokedKey) = ca.Issue("revoked");
        ca.Revoke(revoked);
        var crl = stale
            ? ca.GenerateCrl("crl.pem", DateTimeOffset.UtcNow.AddDays(-2), DateTimeOffset.UtcNow.AddDays(-1))
            : ca.GenerateCrl("crl.pem");
        var (certificate, key) = leaf == "good" ? (good, goodKey) : (revoked, revokedKey);
        var (serverCert, serverKey) = pki.Write(pki.Server);

        using var nginx = await NginxServer.StartAsync(pki.Server, ca.CertificatePath, crl);
        await using var library = await TestServer.StartMtlsAsync(o =>
        {
            o.Certificate.Path = serverCert;
            o.Certificate.KeyPath = serverKey;
            o.TrustedCa.Path = ca.CertificatePath;
            o.TrustedCa.Crls.Path = crl;
        });

        var byNginx = await CurlAcceptedAsync(nginx.BaseAddress, certificate, key);
        var byLibrary = await CurlAcceptedAsync(library.BaseAddress, certificate, key);

        Assert.True(byNginx == expected, $"{@case}: nginx {(byNginx ? "accepted" : "refused")} the client");
        Assert.True(byLibrary == byNginx, $"{@case}: nginx {(byNginx ? "accepted" : "refused")}, the library {(byLibrary ? "accepted" : "refused")}");
    }
}
