using Mtls.Extensions.Testing;
using Mtls.Extensions.Tests.Interop;

namespace Mtls.Extensions.AspNetCore.Tests.Forwarding;

/// <summary>
/// Behind real proxies: Debian's nginx and HAProxy terminate TLS in front of a real Kestrel on 127.0.0.1 (plain HTTP,
/// trusted by network), and curl presents good, expired, foreign-CA and wrong-identity certificates. The proxies ask for
/// a certificate but never judge it; the library does, with the same trust and AllowedPeers as a direct handshake.
/// </summary>
public sealed class BehindRealProxyInteropTests(TestPkiFixture pki) : IClassFixture<TestPkiFixture>
{
    private MtlsTestHost StartApp(string format)
    {
        // nginx and HAProxy forward the leaf only: the issuing CA is pinned (as the docs say), next to the root.
        var anchors = pki.WriteFile($"anchors-{format}.pem", pki.Root.Certificate.ExportCertificatePem() + "\n" + pki.Issuing.Certificate.ExportCertificatePem() + "\n");
        var settings = ForwardingTestData.Proxy(0, network: "127.0.0.1/32", format: format, header: "X-SSL-Client-Cert");
        settings["Mtls:Server:TrustedCa:Path"] = anchors;
        settings["Mtls:Server:AllowPlainHttpEndpoints"] = "true";
        settings["Mtls:Server:AllowedPeers:0"] = TestPkiFixture.OrdersId;
        var host = new MtlsTestHost(pki, settings, EndpointWiring.PlainHttp);
        host.StartServer();
        return host;
    }

    private (string Cert, string Key) Write(TestCertificate certificate, string name)
    {
        var cert = Path.Combine(pki.Directory, name + ".pem");
        var key = Path.Combine(pki.Directory, name + ".key");
        certificate.WritePem(cert, key);
        return (cert, key);
    }

    private async Task<(string Status, string Body)> CurlAsync(Uri proxy, string path, TestCertificate? certificate, string name, params string[] extra)
    {
        var arguments = new List<string> { "-sS", "--cacert", pki.CaPath, "-w", "\n%{http_code}" };
        if (certificate is not null)
        {
            var (cert, key) = Write(certificate, name);
            arguments.AddRange(["--cert", cert, "--key", key]);
        }

        arguments.AddRange(extra);
        arguments.Add(new Uri(proxy, path).ToString());
        var (code, output) = await ExternalProcess.RunAsync("curl", arguments);
        Assert.True(code == 0, $"curl exited {code}: {output}");
        var lines = output.TrimEnd().Split('\n');
        return (lines[^1], string.Join('\n', lines[..^1]));
    }

    private async Task RunCasesAsync(ForwardingProxyProcess proxy, MtlsTestHost host, string tool, bool proxyJudgesExpiry)
    {
        using var expired = pki.Issuing.IssueLeaf("expired", o => o.ForClient().WithSpiffeId(TestPkiFixture.OrdersId).ValidBetween(DateTimeOffset.UtcNow.AddDays(-2), DateTimeOffset.UtcNow.AddDays(-1)));
        using var foreignRoot = TestPki.CreateRoot("Fleet Root");
        using var foreign = foreignRoot.IssueClient("orders", TestPkiFixture.OrdersId);

        var good = await CurlAsync(proxy.BaseAddress, "/whoami", pki.Orders, $"{tool}-good");
        Assert.True(good.Status == "200", $"{good.Status}: {good.Body}");
        Assert.Contains(TestPkiFixture.OrdersId, good.Body, StringComparison.Ordinal);

        using (var collector = host.CollectValidations())
        {
            var rogue = await CurlAsync(proxy.BaseAddress, "/whoami", foreign, $"{tool}-foreign");
            Assert.Equal("401", rogue.Status);
            Assert.Contains(nameof(MtlsRejectionReason.UntrustedRoot), MutualTlsServerTests.Reasons(collector));
        }

        using (var collector = host.CollectValidations())
        {
            var wrong = await CurlAsync(proxy.BaseAddress, "/whoami", pki.Billing, $"{tool}-billing");
            Assert.Equal("403", wrong.Status);
            Assert.Contains(nameof(MtlsRejectionReason.IdentityNotAllowed), MutualTlsServerTests.Reasons(collector));
        }

        using (var collector = host.CollectValidations())
        {
            var old = await CurlAsync(proxy.BaseAddress, "/whoami", expired, $"{tool}-expired");
            if (proxyJudgesExpiry)
            {
                // nginx's optional_no_ca forgives only an unknown issuer; it answers an expired certificate itself (400).
                Assert.Equal("400", old.Status);
            }
            else
            {
                Assert.Equal("401", old.Status);
                Assert.Contains(nameof(MtlsRejectionReason.Expired), MutualTlsServerTests.Reasons(collector));
            }
        }

        // A client forging the header the proxy writes: the proxy replaces it; without a certificate nothing is forwarded.
        var forged = ForwardingTestData.UrlEncodedPem(pki.Orders.Certificate);
        var forgedByBilling = await CurlAsync(proxy.BaseAddress, "/whoami", pki.Billing, $"{tool}-billing2", "-H", $"X-SSL-Client-Cert: {forged}");
        Assert.Equal("403", forgedByBilling.Status);
        var forgedAnonymously = await CurlAsync(proxy.BaseAddress, "/whoami", null, $"{tool}-none", "-H", $"X-SSL-Client-Cert: {forged}");
        Assert.Equal("401", forgedAnonymously.Status);
    }

    [InteropFact("nginx", "curl")]
    public async Task Nginx_OptionalNoCaForwardingEscapedCert_LibraryJudgesEveryClient()
    {
        using var host = StartApp("Nginx");
        using var proxy = await ForwardingProxyProcess.StartNginxAsync(pki.Server, host.BaseAddress);
        await RunCasesAsync(proxy, host, "nginx", proxyJudgesExpiry: true);
    }

    [InteropFact("haproxy", "curl")]
    public async Task Haproxy_VerifyOptionalForwardingBase64Der_LibraryJudgesEveryClient()
    {
        using var host = StartApp("Haproxy");
        using var proxy = await ForwardingProxyProcess.StartHaproxyAsync(pki.Server, pki.CaPath, host.BaseAddress);
        await RunCasesAsync(proxy, host, "haproxy", proxyJudgesExpiry: false);
    }
}
