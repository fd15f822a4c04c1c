using Mtls.Extensions.Testing;

namespace Mtls.Tool.Tests;

public sealed class VerifyCommandTests(ToolPki pki) : IClassFixture<ToolPki>
{
    private const string Orders = "spiffe://example.org/ns/prod/sa/orders";

    [Fact]
    public async Task Verify_SameChainsAsKestrelServer_IdenticalVerdicts()
    {
        var settings = pki.WriteServerSettings("equivalence.json", Orders);
        using var otherRoot = TestPki.CreateRoot("Other Root CA");
        using var otherIssuing = otherRoot.CreateIntermediate("Other Issuing CA");
        var past = DateTimeOffset.UtcNow.AddDays(-10);
        var cases = new (string Name, TestCertificate Client, bool SendChain, string Expected)[]
        {
            ("good", pki.Issuing.IssueClient("orders", Orders), true, "None"),
            // The peer sends its intermediate, not its (unpinned) root: the validator cannot tell a foreign CA from a missing intermediate.
            ("other-ca", otherIssuing.IssueClient("orders", Orders), true, "PartialChain"),
            ("server-eku", pki.Issuing.IssueLeaf("orders-server-eku", o => o.ForServer().WithSpiffeId(Orders)), true, "WrongUsage"),
            ("no-eku", pki.Issuing.IssueLeaf("orders-no-eku", o => o.WithoutExtendedKeyUsage().WithDnsNames("orders.example.org")), true, "MissingExtendedKeyUsage"), // a SPIFFE peer without EKU is accepted (X509-SVID §4.4)
            ("intruder", pki.Issuing.IssueClient("intruder", "spiffe://example.org/ns/prod/sa/intruder"), true, "IdentityNotAllowed"),
            ("expired", pki.Issuing.IssueLeaf("orders-expired", o => o.ForClient().WithSpiffeId(Orders).ValidBetween(past, past.AddDays(1))), true, "Expired"),
            ("leaf-only", pki.Issuing.IssueClient("orders", Orders), false, "PartialChain"),
        };

        await using var server = await KestrelServer.StartAsync(settings);
        foreach (var (name, client, sendChain, expected) in cases)
        {
            using (client)
            {
                var leaf = pki.WriteLeaf(client, $"{name}.pem", withChain: sendChain);
                var run = await MtlsToolProcess.RunAsync("verify", leaf, "--role", "client", "--config", settings, "--json");
                var served = await server.VerdictAsync(client, sendIntermediates: sendChain);

                Assert.True(run.ExitCode is 0 or 1, $"{name}: {run}");
                Assert.True(served == run.Json["reason"]!.GetValue<string>(), $"{name}: the server said {served}, verify said {run.Stdout}; sent {client.Intermediates.Count} intermediates");
                Assert.Equal(expected, served);
                Assert.Equal(expected == "None" ? 0 : 1, run.ExitCode);
            }
        }
    }

    [Fact]
    public async Task Verify_RelaxedByKeySetAsEnvironmentVariable_AcceptsAsTheServerDoes()
    {
        var settings = pki.WriteServerSettings("relax.json");
        using var client = pki.Issuing.IssueLeaf("no-eku", o => o.WithoutExtendedKeyUsage());
        var leaf = pki.WriteLeaf(client, "relax-no-eku.pem");

        var rejected = await MtlsToolProcess.RunAsync("verify", leaf, "--role", "client", "--config", settings, "--json");
        var key = Assert.Single(rejected.Json["relaxedBy"]!.AsArray())!.GetValue<string>();
        Assert.Equal("Mtls:Server:AllowMissingExtendedKeyUsage", key);

        // The key exactly as printed, as an environment variable (the service's and the tool's configuration both read them).
        var environment = new Dictionary<string, string> { [key.Replace(":", "__", StringComparison.Ordinal)] = "true" };
        var relaxed = await MtlsToolProcess.RunAsync(["verify", leaf, "--role", "client", "--config", settings, "--json"], environment);
        await using var server = await KestrelServer.StartAsync(settings, new Dictionary<string, string?> { [key] = "true" });

        Assert.Equal(1, rejected.ExitCode);
        Assert.Equal(0, relaxed.ExitCode);
        Assert.Equal("None", await server.VerdictAsync(client));
    }

    [Fact]
    public async Task Verify_ServerRoleWithExpectedServerAndHost_JudgesAsTheClientWould()
    {
        var leaf = pki.WriteLeaf(pki.Server, "server-chain.pem");

        var byHost = await MtlsToolProcess.RunAsync("verify", leaf, "--ca", pki.RootPath, "--role", "server", "--host", "localhost");
        var wrongHost = await MtlsToolProcess.RunAsync("verify", leaf, "--ca", pki.RootPath, "--role", "server", "--host", "orders.internal", "--json");
        var wrongExpected = await MtlsToolProcess.RunAsync("verify", leaf, "--ca", pki.RootPath, "--role", "server", "--expected-server", "billing.internal", "--json");
        var asClient = await MtlsToolProcess.RunAsync("verify", leaf, "--ca", pki.RootPath, "--role", "client", "--json");

        Assert.Equal(0, byHost.ExitCode);
        Assert.StartsWith("accepted:", byHost.Stdout, StringComparison.Ordinal);
        Assert.Equal("NameMismatch", wrongHost.Json["reason"]!.GetValue<string>());
        Assert.Equal("IdentityNotAllowed", wrongExpected.Json["reason"]!.GetValue<string>());
        Assert.Equal("Mtls:Clients:{name}:ExpectedServer", Assert.Single(wrongExpected.Json["relaxedBy"]!.AsArray())!.GetValue<string>());
        Assert.Equal("WrongUsage", asClient.Json["reason"]!.GetValue<string>());
    }

    [Fact]
    public async Task Verify_AtAfterNotAfter_RejectsExpired()
    {
        using var client = pki.Issuing.IssueClient("later");
        var leaf = pki.WriteLeaf(client, "later.pem");
        var after = client.Certificate.NotAfter.ToUniversalTime().AddDays(1).ToString("O");

        var now = await MtlsToolProcess.RunAsync("verify", leaf, "--ca", pki.RootPath, "--role", "client", "--json");
        var then = await MtlsToolProcess.RunAsync("verify", leaf, "--ca", pki.RootPath, "--role", "client", "--at", after, "--json");

        Assert.Equal(0, now.ExitCode);
        Assert.Equal("Expired", then.Json["reason"]!.GetValue<string>());
        Assert.Equal(1, then.ExitCode);
    }

    [Theory]
    [InlineData("--ca", "missing.pem", "--ca '")]
    [InlineData("--at", "yesterday", "--at 'yesterday'")]
    [InlineData("--allowed", "spiffe://Bad Domain", "--allowed: 'spiffe://Bad Domain' is not a peer identity")]
    public async Task Verify_BadInput_ExitsTwoNamingTheOption(string option, string value, string expected)
    {
        using var client = pki.Issuing.IssueClient("usage");
        var leaf = pki.WriteLeaf(client, "usage.pem");
        string[] arguments = option == "--ca"
            ? ["verify", leaf, "--role", "client", "--ca", pki.File(value)]
            : ["verify", leaf, "--role", "client", "--ca", pki.RootPath, option, value];

        var run = await MtlsToolProcess.RunAsync(arguments);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains(expected, run.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verify_UnknownRoleOrMissingLeaf_ExitsTwo()
    {
        var role = await MtlsToolProcess.RunAsync("verify", pki.RootPath, "--ca", pki.RootPath, "--role", "peer");
        var leaf = await MtlsToolProcess.RunAsync("verify", pki.File("nothing.pem"), "--ca", pki.RootPath, "--role", "client");

        Assert.Equal(2, role.ExitCode);
        Assert.Contains("peer", role.Stderr, StringComparison.Ordinal);
        Assert.Equal(2, leaf.ExitCode);
        Assert.Contains("LEAF '", leaf.Stderr, StringComparison.Ordinal);
        Assert.Contains("no such file", leaf.Stderr, StringComparison.Ordinal);
    }
}
