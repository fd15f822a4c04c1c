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
            // First, while the server has accepted nobody: a server that has accepted a path through the issuing CA since its
            // trust was loaded knows it is a missing intermediate (PartialChain); the tool, like a fresh service, does not.
            ("leaf-only", pki.Issuing.IssueClient("orders", Orders), false, "UntrustedRoot"),
            ("good", pki.Issuing.IssueClient("orders", Orders), true, "None"),
            // The peer sends its intermediate, not its (unpinned) root: an issuer no pinned CA has signed is a foreign CA (issue 24 item 10).
            ("other-ca", otherIssuing.IssueClient("orders", Orders), true, "UntrustedRoot"),
            ("server-eku", pki.Issuing.IssueLeaf("orders-server-eku", o => o.ForServer().WithSpiffeId(Orders)), true, "WrongUsage"),
            ("no-eku", pki.Issuing.IssueLeaf("orders-no-eku", o => o.WithoutExtendedKeyUsage().WithDnsNames("orders.example.org")), true, "MissingExtendedKeyUsage"), // a SPIFFE peer without EKU is accepted (X509-SVID §4.4)
            ("intruder", pki.Issuing.IssueClient("intruder", "spiffe://example.org/ns/prod/sa/intruder"), true, "IdentityNotAllowed"),
            ("expired", pki.Issuing.IssueLeaf("orders-expired", o => o.ForClient().WithSpiffeId(Orders).ValidBetween(past, past.AddDays(1))), true, "Expired"),
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
    public async Task Verify_MissingKeyIdentifiersRelaxedByPrintedValidationKey_AcceptsAsTheServerDoes()
    {
        var settings = pki.WriteServerSettings("relax-aki.json");
        using var client = pki.Issuing.IssueLeaf("no-aki", o => o.ForClient().OmitExtensions.Add("2.5.29.35"));
        var leaf = pki.WriteLeaf(client, "relax-no-aki.pem");

        var rejected = await MtlsToolProcess.RunAsync("verify", leaf, "--role", "client", "--config", settings, "--json");
        var key = Assert.Single(rejected.Json["relaxedBy"]!.AsArray())!.GetValue<string>();
        var environment = new Dictionary<string, string> { [key.Replace(":", "__", StringComparison.Ordinal)] = "true" };
        var relaxed = await MtlsToolProcess.RunAsync(["verify", leaf, "--role", "client", "--config", settings, "--json"], environment);
        string before, after;
        await using (var server = await KestrelServer.StartAsync(settings))
        {
            before = await server.VerdictAsync(client);
        }

        await using (var server = await KestrelServer.StartAsync(settings, new Dictionary<string, string?> { [key] = "true" }))
        {
            after = await server.VerdictAsync(client);
        }

        Assert.Equal("MissingKeyIdentifier", rejected.Json["reason"]!.GetValue<string>());
        Assert.Equal("Mtls:Server:Validation:AllowMissingKeyIdentifiers", key);
        // The key the tool prints is the one in the library's own rejection sentence.
        Assert.Contains(key, rejected.Json["message"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal("MissingKeyIdentifier", before);
        Assert.Equal(0, relaxed.ExitCode);
        Assert.Equal("None", after);
    }

    [Fact]
    public async Task Verify_ProfileWebPki_RejectsCommonNameNotInSans()
    {
        using var server = pki.Issuing.IssueLeaf("cn-only.internal", o => o.ForServer().WithDnsNames("orders.internal"));
        var leaf = pki.WriteLeaf(server, "cn-only.pem");

        var rfc = await MtlsToolProcess.RunAsync("verify", leaf, "--ca", pki.RootPath, "--role", "server", "--host", "orders.internal", "--json");
        var web = await MtlsToolProcess.RunAsync("verify", leaf, "--ca", pki.RootPath, "--role", "server", "--host", "orders.internal", "--profile", "WebPki", "--json");
        var bad = await MtlsToolProcess.RunAsync("verify", leaf, "--ca", pki.RootPath, "--role", "server", "--profile", "Strict");

        Assert.Equal(0, rfc.ExitCode);
        Assert.Equal(1, web.ExitCode);
        Assert.Equal("CommonNameNotInSubjectAltNames", web.Json["reason"]!.GetValue<string>());
        Assert.Contains("Mtls:Clients:{name}:Validation:AllowCommonNameNotInSubjectAltNames", web.Json["relaxedBy"]!.AsArray().Select(k => k!.GetValue<string>()));
        Assert.Equal(2, bad.ExitCode);
        Assert.Contains("--profile: 'Strict' is not a profile", bad.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Strictness", "true", "Mtls:Server:Validation:Strictness: not an option")]
    [InlineData("MinimumRsaKeySize", "512", "Mtls:Server:Validation:MinimumRsaKeySize: 512 is out of range (1024 to 16384)")]
    [InlineData("Profile", "Lax", "Mtls:Server:Validation:Profile: 'Lax' is not a profile")]
    public async Task Verify_BadValidationKeyInConfig_ExitsTwoNamingTheKey(string option, string value, string expected)
    {
        var settings = pki.WriteServerSettings($"bad-validation-{option}.json");
        using var client = pki.Issuing.IssueClient("validation");
        var leaf = pki.WriteLeaf(client, $"validation-{option}.pem");
        var environment = new Dictionary<string, string> { [$"Mtls__Server__Validation__{option}"] = value };

        var run = await MtlsToolProcess.RunAsync(["verify", leaf, "--role", "client", "--config", settings], environment);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains(expected, run.Stderr, StringComparison.Ordinal);
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
