using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Testing;
using Mtls.Extensions.Testing;
using Mtls.Extensions.Tests.Interop;
using Xunit;

namespace Mtls.Extensions.AspNetCore.Tests;

/// <summary>
/// Issue 24 item 10: a client whose CA is not pinned is reported as <c>UntrustedRoot</c> whether or not it sends its root
/// (never <c>PartialChain</c>, which made foreign clients invisible to dashboards filtering on the reason), and the
/// sentence names the issuer the chain stops at, escaped, with its key identifier. The peers are curl and openssl.
/// </summary>
public sealed class ForeignIssuerInteropTests(TestPkiFixture pki) : IClassFixture<TestPkiFixture>
{
    [InteropFact("curl")]
    public async Task ForeignClient_CurlSendsOnlyItsLeaf_UntrustedRootNamingTheIssuerAndKeyIdentifier()
    {
        using var foreignRoot = TestPki.CreateRoot("Partner\nRoot");
        using var leaf = foreignRoot.IssueClient("partner", TestPkiFixture.OrdersId);
        var (cert, key) = Write(leaf, "curl-foreign");
        using var host = new MtlsTestHost(pki, new Dictionary<string, string?> { ["Logging:LogLevel:Default"] = "Information" }, configureServices: s => s.AddFakeLogging());
        host.StartServer();
        using var collector = host.CollectValidations();

        var (code, _) = await ExternalProcess.RunAsync("curl", ["-sS", "--fail", "--cert", cert, "--key", key, "--cacert", pki.CaPath, new Uri(host.BaseAddress, "/anonymous").ToString()]);

        Assert.NotEqual(0, code);
        Assert.Equal([nameof(MtlsRejectionReason.UntrustedRoot)], MutualTlsServerTests.Reasons(collector).Distinct());
        AssertNamesTheIssuer(host, foreignRoot);
    }

    [InteropFact("openssl")]
    public async Task ForeignClient_OpensslSendsItsIntermediateNotItsRoot_UntrustedRootNamingTheRoot()
    {
        using var foreignRoot = TestPki.CreateRoot("Partner Root");
        using var foreignIssuing = foreignRoot.CreateIntermediate("Partner Issuing CA");
        using var leaf = foreignIssuing.IssueClient("partner", TestPkiFixture.OrdersId);
        var (cert, key) = Write(leaf, "ossl-foreign");
        using var host = new MtlsTestHost(pki, new Dictionary<string, string?> { ["Logging:LogLevel:Default"] = "Information" }, configureServices: s => s.AddFakeLogging());
        host.StartServer();
        using var collector = host.CollectValidations();

        var (_, output) = await ExternalProcess.RunAsync("openssl", ["s_client", "-connect", $"127.0.0.1:{host.BaseAddress.Port}", "-servername", "localhost", "-cert", cert, "-key", key, "-cert_chain", cert, "-CAfile", pki.CaPath, "-ign_eof"], "GET /anonymous HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");

        Assert.DoesNotContain("HTTP/1.1 200", output, StringComparison.Ordinal);
        Assert.Equal([nameof(MtlsRejectionReason.UntrustedRoot)], MutualTlsServerTests.Reasons(collector).Distinct());
        AssertNamesTheIssuer(host, foreignRoot);
    }

    private static void AssertNamesTheIssuer(MtlsTestHost host, TestCertificateAuthority issuer)
    {
        var keyId = Convert.ToHexString(issuer.Certificate.Extensions.OfType<System.Security.Cryptography.X509Certificates.X509SubjectKeyIdentifierExtension>().Single().SubjectKeyIdentifierBytes.Span);
        var rejected = host.Services.GetFakeLogCollector().GetSnapshot().Where(r => r.Id.Id == 201).Select(r => r.Message).ToList();
        Assert.Contains(rejected, m => m.Contains("Partner", StringComparison.Ordinal) && m.Contains($"key identifier {keyId}", StringComparison.Ordinal) && !m.Contains('\n', StringComparison.Ordinal));
    }

    private (string Cert, string Key) Write(TestCertificate certificate, string name)
    {
        var cert = Path.Combine(pki.Directory, name + ".pem");
        var key = Path.Combine(pki.Directory, name + ".key");
        certificate.WritePem(cert, key);
        return (cert, key);
    }
}
