using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;

namespace Mtls.Tool.Tests;

public sealed class DevCaCommandTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("mtls-devca-").FullName;

    private string PathOf(params string[] parts) => Path.Combine([_directory, .. parts]);

    [Fact]
    public async Task DevCa_InitThenIssueInLayouts_KestrelServesThemAndAcceptsTheClient()
    {
        var init = await MtlsToolProcess.RunAsync("dev-ca", "init", "--dir", PathOf("ca"));
        var server = await MtlsToolProcess.RunAsync("dev-ca", "issue", "api", "--dir", PathOf("ca"), "--out", PathOf("server"), "--layout", "cert-manager", "--server", "--dns", "localhost", "--ip", "127.0.0.1");
        var client = await MtlsToolProcess.RunAsync("dev-ca", "issue", "orders", "--dir", PathOf("ca"), "--out", PathOf("client"), "--client", "--spiffe-id", "spiffe://example.org/ns/prod/sa/orders", "--json");
        Assert.True(init.ExitCode == 0 && server.ExitCode == 0 && client.ExitCode == 0, $"{init}\n{server}\n{client}");
        Assert.Equal(3, client.Json["files"]!.AsArray().Count);

        // The server reads its certificate from the cert-manager folder, the way the library reads it in Kubernetes.
        var settings = PathOf("appsettings.json");
        await File.WriteAllTextAsync(settings, new JsonObject
        {
            ["Mtls"] = new JsonObject
            {
                ["Server"] = new JsonObject
                {
                    ["Certificate"] = new JsonObject { ["Directory"] = PathOf("server"), ["Layout"] = "CertManager" },
                    ["TrustedCa"] = new JsonObject { ["Path"] = PathOf("ca", "ca-bundle.pem") },
                    ["AllowedPeers"] = new JsonArray("spiffe://example.org/ns/prod/sa/orders"),
                },
            },
        }.ToJsonString());
        await using var kestrel = await KestrelServer.StartAsync(settings);
        var leaf = X509Certificate2.CreateFromPemFile(PathOf("client", "orders.pem"), PathOf("client", "orders.key"));
        var intermediates = new X509Certificate2Collection();
        intermediates.ImportFromPemFile(PathOf("client", "orders.pem"));
        intermediates.RemoveAt(0);

        Assert.Equal("None", await kestrel.VerdictAsync(leaf, intermediates));
        var verify = await MtlsToolProcess.RunAsync("verify", PathOf("client", "orders.pem"), "--config", settings, "--role", "client");
        Assert.Equal(0, verify.ExitCode);
        var verifyServer = await MtlsToolProcess.RunAsync("verify", PathOf("server", "tls.crt"), "--ca", PathOf("server", "ca.crt"), "--role", "server", "--host", "localhost");
        Assert.True(verifyServer.ExitCode == 0, verifyServer.ToString());
        var served = await MtlsToolProcess.RunAsync("inspect", $"https://localhost:{kestrel.Address.Port}", "--json");
        Assert.Equal("OU=api, O=DEVELOPMENT ONLY (mtls dev-ca)", served.Json["chain"]![0]!["subject"]!.GetValue<string>());
        Assert.Contains("DEVELOPMENT ONLY", served.Json["chain"]![1]!["subject"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task DevCa_InitTwice_RefusesToOverwriteTheCaKey()
    {
        await MtlsToolProcess.RunAsync("dev-ca", "init", "--dir", PathOf("ca"));
        var key = await File.ReadAllTextAsync(PathOf("ca", "root.key"));

        var again = await MtlsToolProcess.RunAsync("dev-ca", "init", "--dir", PathOf("ca"));

        Assert.Equal(1, again.ExitCode);
        Assert.Contains("never overwrites a CA key", again.Stdout, StringComparison.Ordinal);
        Assert.Equal(key, await File.ReadAllTextAsync(PathOf("ca", "root.key")));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(PathOf("ca", "root.key")));
        }
    }

    [Fact]
    public async Task DevCa_IssueSpiffeLayouts_InspectReadsThemAsTheLibraryNamesThem()
    {
        await MtlsToolProcess.RunAsync("dev-ca", "init", "--dir", PathOf("ca"), "--key-type", "ecdsa-p384");
        var helper = await MtlsToolProcess.RunAsync("dev-ca", "issue", "w1", "--dir", PathOf("ca"), "--out", PathOf("helper"), "--layout", "spiffe-helper", "--spiffe-id", "spiffe://example.org/w1", "--days", "2");
        var filesystem = await MtlsToolProcess.RunAsync("dev-ca", "issue", "w2", "--dir", PathOf("ca"), "--out", PathOf("fs"), "--layout", "spiffe-filesystem", "--spiffe-id", "spiffe://example.org/w2", "--key-type", "rsa-2048");
        Assert.True(helper.ExitCode == 0 && filesystem.ExitCode == 0, $"{helper}\n{filesystem}");

        var first = await MtlsToolProcess.RunAsync("inspect", PathOf("helper"), "--json");
        var second = await MtlsToolProcess.RunAsync("inspect", PathOf("fs"), "--json");

        Assert.Equal("SpiffeHelper", first.Json["layout"]!.GetValue<string>());
        Assert.Equal("spiffe://example.org/w1", first.Json["chain"]![0]!["spiffeId"]!.GetValue<string>());
        Assert.Equal("ECDSA P-384 (384 bits)", first.Json["chain"]![1]!["key"]!.GetValue<string>());
        Assert.Equal("SpiffeFilesystem", second.Json["layout"]!.GetValue<string>());
        Assert.Equal("RSA 2048", second.Json["chain"]![0]!["key"]!.GetValue<string>());
        Assert.True(File.Exists(PathOf("fs", "example.org.spiffe-trust-bundle.pem")));
    }

    [Theory]
    [InlineData("--spiffe-id", "spiffe://Example.org/x", "--spiffe-id 'spiffe://Example.org/x'")]
    [InlineData("--ip", "not-an-ip", "--ip 'not-an-ip'")]
    [InlineData("--key-type", "dsa", "--key-type 'dsa'")]
    [InlineData("--days", "0", "--days 0")]
    public async Task DevCa_IssueBadInput_ExitsTwoNamingTheOption(string option, string value, string expected)
    {
        await MtlsToolProcess.RunAsync("dev-ca", "init", "--dir", PathOf("ca"));

        var run = await MtlsToolProcess.RunAsync("dev-ca", "issue", "bad", "--dir", PathOf("ca"), option, value);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains(expected, run.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DevCa_IssueWithoutInit_ExitsTwoSayingWhatToRun()
    {
        var run = await MtlsToolProcess.RunAsync("dev-ca", "issue", "orphan", "--dir", PathOf("nothing"));

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("mtls dev-ca init", run.Stderr, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
