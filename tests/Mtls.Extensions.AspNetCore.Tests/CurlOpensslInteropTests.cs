using Mtls.Extensions.Tests.Interop;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Mtls.Extensions.Testing;

namespace Mtls.Extensions.AspNetCore.Tests;

/// <summary>Peers nobody here wrote: Debian's curl and openssl s_client against our server.</summary>
public sealed class CurlOpensslInteropTests(TestPkiFixture pki) : IClassFixture<TestPkiFixture>
{
    private (string Cert, string Key) Write(TestCertificate certificate, string name)
    {
        var cert = Path.Combine(pki.Directory, name + ".pem");
        var key = Path.Combine(pki.Directory, name + ".key");
        certificate.WritePem(cert, key);
        return (cert, key);
    }

    [InteropFact("curl")]
    public async Task Curl_GoodAndRogueCertificate_GoodSucceedsRogueFails()
    {
        using var host = new MtlsTestHost(pki);
        host.StartServer();
        var url = new Uri(host.BaseAddress, "/whoami").ToString();
        var (cert, key) = Write(pki.Orders, "curl-orders");

        var (code, output) = await ExternalProcess.RunAsync("curl", ["-sS", "--fail", "--cert", cert, "--key", key, "--cacert", pki.CaPath, url]);
        Assert.True(code == 0, $"curl exited {code}: {output}");
        Assert.Contains(TestPkiFixture.OrdersId, output, StringComparison.Ordinal);

        using var rogueRoot = TestPki.CreateRoot("Fleet Root");
        using var rogue = rogueRoot.IssueClient("rogue", TestPkiFixture.OrdersId);
        var (rogueCert, rogueKey) = Write(rogue, "curl-rogue");
        using var collector = host.CollectValidations();
        var (rogueCode, rogueOutput) = await ExternalProcess.RunAsync("curl", ["-sS", "--fail", "--cert", rogueCert, "--key", rogueKey, "--cacert", pki.CaPath, url]);
        Assert.NotEqual(0, rogueCode);
        Assert.DoesNotContain(TestPkiFixture.OrdersId, rogueOutput, StringComparison.Ordinal);
        Assert.Contains(nameof(MtlsRejectionReason.UntrustedRoot), MutualTlsServerTests.Reasons(collector));
    }

    [InteropFact("curl")]
    public async Task Curl_NoCertificate_Fails()
    {
        using var host = new MtlsTestHost(pki);
        host.StartServer();
        var (code, _) = await ExternalProcess.RunAsync("curl", ["-sS", "--fail", "--cacert", pki.CaPath, new Uri(host.BaseAddress, "/anonymous").ToString()]);
        Assert.NotEqual(0, code);
    }

    [InteropFact("openssl")]
    public async Task OpensslSClient_ShowsServerChain_AndBadClientFails()
    {
        using var host = new MtlsTestHost(pki);
        host.StartServer();
        var connect = $"127.0.0.1:{host.BaseAddress.Port}";
        var (cert, key) = Write(pki.Orders, "ossl-orders");
        const string Request = "GET /ping HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";

        // s_client sends only the leaf unless told otherwise: -cert_chain sends the intermediate, as a real workload must.
        var (_, good) = await ExternalProcess.RunAsync("openssl", ["s_client", "-connect", connect, "-servername", "localhost", "-cert", cert, "-key", key, "-cert_chain", cert, "-CAfile", pki.CaPath, "-showcerts", "-ign_eof"], Request);
        Assert.Contains("Verify return code: 0 (ok)", good, StringComparison.Ordinal);
        Assert.Contains("CN = inventory", good, StringComparison.Ordinal);
        Assert.Contains("CN = Fleet Issuing CA", good, StringComparison.Ordinal);   // the intermediate is sent
        Assert.True(good.Contains("HTTP/1.1 200", StringComparison.Ordinal), good);

        using var expired = pki.Issuing.IssueLeaf("expired", o => o.ForClient().WithSpiffeId(TestPkiFixture.OrdersId).ValidBetween(DateTimeOffset.UtcNow.AddDays(-2), DateTimeOffset.UtcNow.AddDays(-1)));
        var (badCert, badKey) = Write(expired, "ossl-expired");
        using var collector = host.CollectValidations();
        var (_, bad) = await ExternalProcess.RunAsync("openssl", ["s_client", "-connect", connect, "-servername", "localhost", "-cert", badCert, "-key", badKey, "-cert_chain", badCert, "-CAfile", pki.CaPath, "-ign_eof"], Request);
        Assert.DoesNotContain("HTTP/1.1 200", bad, StringComparison.Ordinal);
        // With TLS 1.3 the client's handshake is done before the server judges its certificate; the .NET server then
        // closes the connection (OpenSSL: "unexpected eof") or sends an alert, depending on timing and version.
        Assert.True(bad.Contains("alert", StringComparison.OrdinalIgnoreCase) || bad.Contains("unexpected eof", StringComparison.OrdinalIgnoreCase), bad);
        Assert.Contains(nameof(MtlsRejectionReason.Expired), MutualTlsServerTests.Reasons(collector));
    }

    [InteropTheory("openssl")]
    [InlineData("rsa-1024", nameof(MtlsRejectionReason.WeakKey))]
    [InlineData("sha1", nameof(MtlsRejectionReason.WeakSignatureAlgorithm))]
    public async Task OpensslSClient_AtSecurityLevel0_WeakClientCertificateIsRejectedByTheServer(string kind, string expected)
    {
        using var host = new MtlsTestHost(pki);
        host.StartServer();
        using var weak = pki.Issuing.IssueLeaf("weak", o =>
        {
            o.ForClient().WithSpiffeId(TestPkiFixture.OrdersId);
            if (kind == "rsa-1024")
            {
                o.KeyAlgorithm = TestKeyAlgorithm.Rsa1024;
            }
            else
            {
                o.SignatureHash = System.Security.Cryptography.HashAlgorithmName.SHA1;
            }
        });
        var (cert, key) = Write(weak, "ossl-weak-" + kind);
        using var collector = host.CollectValidations();
        var (_, output) = await ExternalProcess.RunAsync("openssl", ["s_client", "-connect", $"127.0.0.1:{host.BaseAddress.Port}", "-servername", "localhost", "-cert", cert, "-key", key, "-cert_chain", cert, "-CAfile", pki.CaPath, "-cipher", "DEFAULT@SECLEVEL=0", "-ign_eof"], "GET /ping HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
        Assert.DoesNotContain("HTTP/1.1 200", output, StringComparison.Ordinal);
        Assert.Contains(expected, MutualTlsServerTests.Reasons(collector));
    }
}
