using Mtls.Extensions.Testing;
using Mtls.Extensions.Tests.Interop;

namespace Mtls.Tool.Tests;

public sealed class ProbeCommandTests(ToolPki pki) : IClassFixture<ToolPki>
{
    private const string Orders = "spiffe://example.org/ns/prod/sa/orders";

    private string[] Probe(Uri address, TestCertificate client, string name, params string[] extra)
    {
        var certificate = pki.WriteLeaf(client, $"probe-{name}.pem");
        var key = pki.File($"probe-{name}.key");
        File.WriteAllText(key, client.ExportKeyPem());
        return ["probe", $"https://localhost:{address.Port}", "--cert", certificate, "--key", key, "--ca", pki.RootPath, "--json", .. extra];
    }

    [Fact]
    public async Task Probe_KestrelAcceptsOurCertificate_ReportsHandshakeAndBothVerdicts()
    {
        await using var server = await KestrelServer.StartAsync(pki.WriteServerSettings("probe-ok.json", Orders));
        using var client = pki.Issuing.IssueClient("orders", Orders);

        var run = await MtlsToolProcess.RunAsync(Probe(server.Address, client, "ok"));

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.StartsWith("Tls1", run.Json["protocol"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.StartsWith("TLS_", run.Json["cipher"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal("h2", run.Json["alpn"]!.GetValue<string>());
        Assert.Equal("accepted", run.Json["serverVerdict"]!.GetValue<string>());
        Assert.Equal("accepted", run.Json["ourCertificate"]!.GetValue<string>());
    }

    [Fact]
    public async Task Probe_KestrelRejectsOurIdentity_ReportsTheSymptomAndWhatItMeans()
    {
        await using var server = await KestrelServer.StartAsync(pki.WriteServerSettings("probe-rejected.json", Orders));
        using var client = pki.Issuing.IssueClient("intruder", "spiffe://example.org/ns/prod/sa/intruder");

        var run = await MtlsToolProcess.RunAsync(Probe(server.Address, client, "rejected"));

        Assert.Equal(1, run.ExitCode);
        Assert.Equal("accepted", run.Json["serverVerdict"]!.GetValue<string>());
        Assert.Equal("rejected", run.Json["ourCertificate"]!.GetValue<string>());
        Assert.Contains("event 201", run.Json["likelyMeaning"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Probe_ServerWithoutExpectedIdentity_ReportsTheLibrarysVerdictOnIt()
    {
        await using var server = await KestrelServer.StartAsync(pki.WriteServerSettings("probe-expected.json", Orders));
        using var client = pki.Issuing.IssueClient("orders", Orders);

        var run = await MtlsToolProcess.RunAsync(Probe(server.Address, client, "expected", "--expected-server", "billing.internal"));

        Assert.Equal(1, run.ExitCode);
        Assert.Equal("IdentityNotAllowed", run.Json["serverReason"]!.GetValue<string>());
        Assert.Equal("accepted", run.Json["ourCertificate"]!.GetValue<string>());
    }

    [InteropFact("nginx")]
    public async Task Probe_NginxRejectsCertificateOfAnotherCa_ReportsHttp400AndNginxMeaning()
    {
        using var nginx = await NginxServer.StartAsync(pki.Server, pki.RootPath);
        using var otherRoot = TestPki.CreateRoot("Probe Other Root");
        using var client = otherRoot.IssueClient("stranger");

        var run = await MtlsToolProcess.RunAsync(Probe(nginx.BaseAddress, client, "nginx"));

        Assert.Equal(1, run.ExitCode);
        Assert.Equal("accepted", run.Json["serverVerdict"]!.GetValue<string>());
        Assert.Equal("rejected", run.Json["ourCertificate"]!.GetValue<string>());
        Assert.Contains("400", run.Json["symptom"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains("nginx", run.Json["likelyMeaning"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [InteropFact("openssl")]
    public async Task Probe_KestrelWithTheLibrarysDefaults_ReportsResumptionYes()
    {
        await using var server = await KestrelServer.StartAsync(pki.WriteServerSettings("probe-resume.json", Orders));
        using var client = pki.Issuing.IssueClient("orders", Orders);

        var run = await MtlsToolProcess.RunAsync(Probe(server.Address, client, "resume"));

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.True(run.Json["resumption"]?.GetValue<bool>() == true, run.ToString());
        Assert.Contains("Reused", run.Json["resumptionReason"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [InteropFact("openssl")]
    public async Task Probe_KestrelWithResumptionDisabled_ReportsResumptionNo()
    {
        await using var server = await KestrelServer.StartAsync(
            pki.WriteServerSettings("probe-no-resume.json", Orders),
            new Dictionary<string, string?> { ["Mtls:Server:Resumption"] = "Disabled" });
        using var client = pki.Issuing.IssueClient("orders", Orders);

        var run = await MtlsToolProcess.RunAsync(Probe(server.Address, client, "no-resume"));

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.True(run.Json["resumption"]?.GetValue<bool>() == false, run.ToString());
        Assert.Contains("New", run.Json["resumptionReason"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Probe_OpensslNotOnPath_ReportsResumptionUnknownWithTheReason()
    {
        await using var server = await KestrelServer.StartAsync(pki.WriteServerSettings("probe-no-openssl.json", Orders));
        using var client = pki.Issuing.IssueClient("orders", Orders);

        var run = await MtlsToolProcess.RunAsync(Probe(server.Address, client, "no-openssl"), new Dictionary<string, string> { ["PATH"] = pki.File("empty-path") });

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.True(run.Json.ContainsKey("resumption") && run.Json["resumption"] is null, run.ToString());
        Assert.Contains("openssl is not on PATH", run.Json["resumptionReason"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Probe_KeyOfAnotherCertificate_ExitsTwoNamingKey()
    {
        using var client = pki.Issuing.IssueClient("orders", Orders);
        using var other = pki.Issuing.IssueClient("other");
        var arguments = Probe(new Uri("https://localhost:1"), client, "wrong-key");
        File.WriteAllText(arguments[5], other.ExportKeyPem());

        var run = await MtlsToolProcess.RunAsync(arguments);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("--key '", run.Stderr, StringComparison.Ordinal);
    }
}
