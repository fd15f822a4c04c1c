using System.Net;
using Mtls.Extensions.Testing;
using Mtls.Extensions.Tests.Interop;

namespace Mtls.Tool.Tests;

public sealed class InspectCommandTests(ToolPki pki) : IClassFixture<ToolPki>
{
    [Fact]
    public async Task Inspect_PemChain_ShowsTreeWithEveryField()
    {
        using var leaf = pki.Issuing.IssueLeaf("orders", o => o.ForClient().WithSpiffeId("spiffe://example.org/ns/prod/sa/orders").WithDnsNames("orders.internal").WithIpAddresses(IPAddress.Loopback));
        var path = pki.WriteLeaf(leaf, "inspect-chain.pem");

        var text = await MtlsToolProcess.RunAsync("inspect", path);
        var json = await MtlsToolProcess.RunAsync("inspect", path, "--json");

        Assert.Equal(0, text.ExitCode);
        Assert.StartsWith("CN=orders (leaf)", text.Stdout, StringComparison.Ordinal);
        Assert.Contains("  └─ CN=Tool Test Issuing CA", text.Stdout, StringComparison.Ordinal);
        Assert.Contains("SPIFFE ID:   spiffe://example.org/ns/prod/sa/orders", text.Stdout, StringComparison.Ordinal);
        Assert.Contains("left)", text.Stdout, StringComparison.Ordinal);
        var chain = json.Json["chain"]!.AsArray();
        Assert.Equal(2, chain.Count);
        var first = chain[0]!;
        Assert.Equal(["DNS:orders.internal", "IP:127.0.0.1", "URI:spiffe://example.org/ns/prod/sa/orders"],
            first["subjectAltNames"]!.AsArray().Select(n => n!.GetValue<string>()).Order(StringComparer.Ordinal).ToArray());
        Assert.Equal("clientAuth", Assert.Single(first["extendedKeyUsage"]!.AsArray())!.GetValue<string>());
        Assert.Equal("ECDSA P-256 (256 bits)", first["key"]!.GetValue<string>());
        Assert.Equal(leaf.ThumbprintSha256, first["sha256"]!.GetValue<string>(), ignoreCase: true);
        Assert.Equal(chain[1]!["subjectKeyIdentifier"]!.GetValue<string>(), first["authorityKeyIdentifier"]!.GetValue<string>());
        Assert.StartsWith("CA=true", chain[1]!["basicConstraints"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Inspect_DerAndPasswordProtectedPfx_ReadsBoth()
    {
        using var leaf = pki.Issuing.IssueClient("pfx-client");
        var der = pki.File("inspect.der");
        await File.WriteAllBytesAsync(der, leaf.Certificate.RawData);
        var pfx = pki.File("inspect.pfx");
        leaf.WritePfx(pfx, "s3cret");

        var fromDer = await MtlsToolProcess.RunAsync("inspect", der, "--json");
        var fromPfx = await MtlsToolProcess.RunAsync("inspect", pfx, "--password", "s3cret", "--json");
        var wrongPassword = await MtlsToolProcess.RunAsync("inspect", pfx, "--password", "nope");

        Assert.Equal("CN=pfx-client", fromDer.Json["chain"]![0]!["subject"]!.GetValue<string>());
        Assert.Equal("CN=pfx-client", fromPfx.Json["chain"]![0]!["subject"]!.GetValue<string>());
        Assert.Equal(2, wrongPassword.ExitCode);
        Assert.Contains("the PFX cannot be opened", wrongPassword.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Inspect_FoldersInCertManagerAndSpiffeHelperLayouts_ShowChainAndBundle()
    {
        using var svid = pki.Issuing.IssueClient("svid", "spiffe://example.org/ns/prod/sa/orders");
        var certManager = Directory.CreateDirectory(pki.File("cert-manager")).FullName;
        await File.WriteAllTextAsync(Path.Combine(certManager, "tls.crt"), svid.ExportCertificatePem());
        await File.WriteAllTextAsync(Path.Combine(certManager, "tls.key"), svid.ExportKeyPem());
        await File.WriteAllTextAsync(Path.Combine(certManager, "ca.crt"), pki.Root.ExportCertificatePem());
        var helper = Directory.CreateDirectory(pki.File("spiffe-helper")).FullName;
        new SpiffeHelperWriter(helper).Write(svid, pki.Root.ExportCertificatePem());

        var first = await MtlsToolProcess.RunAsync("inspect", certManager, "--json");
        var second = await MtlsToolProcess.RunAsync("inspect", helper);

        Assert.Equal("CertManager", first.Json["layout"]!.GetValue<string>());
        Assert.Equal("CN=Tool Test Root CA", first.Json["trustBundle"]![0]!["subject"]!.GetValue<string>());
        Assert.Contains("SpiffeHelper layout", second.Stdout, StringComparison.Ordinal);
        Assert.Contains("trust bundle:", second.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Inspect_LiveKestrelServer_ShowsTheChainItSends()
    {
        var settings = pki.WriteServerSettings("inspect-server.json");
        await using var server = await KestrelServer.StartAsync(settings);

        var run = await MtlsToolProcess.RunAsync("inspect", $"https://127.0.0.1:{server.Address.Port}", "--json");

        Assert.Equal(0, run.ExitCode);
        var chain = run.Json["chain"]!.AsArray();
        Assert.Equal(["CN=localhost", "CN=Tool Test Issuing CA"], chain.Select(c => c!["subject"]!.GetValue<string>()).ToArray());
        Assert.False(string.IsNullOrEmpty(run.Json["protocol"]?.GetValue<string>()), run.ToString());
    }

    [InteropFact("nginx")]
    public async Task Inspect_LiveNginx_ShowsTheClientCasItAsksFor()
    {
        using var nginx = await NginxServer.StartAsync(pki.Server, pki.RootPath);

        var run = await MtlsToolProcess.RunAsync("inspect", nginx.BaseAddress.ToString().TrimEnd('/'), "--json");

        Assert.Equal(0, run.ExitCode);
        Assert.Equal("CN=localhost", run.Json["chain"]![0]!["subject"]!.GetValue<string>());
        Assert.Equal("CN=Tool Test Root CA", Assert.Single(run.Json["acceptableClientCas"]!.AsArray())!.GetValue<string>());
    }

    [Fact]
    public async Task Inspect_NothingListening_ExitsOneNamingTheAddress()
    {
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();

        var run = await MtlsToolProcess.RunAsync("inspect", $"https://127.0.0.1:{port}");

        Assert.Equal(1, run.ExitCode);
        Assert.Contains($"127.0.0.1:{port}", run.Stdout, StringComparison.Ordinal);
    }
}
