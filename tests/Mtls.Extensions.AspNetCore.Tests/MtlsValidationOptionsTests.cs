using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Testing;
using Mtls.Extensions.AspNetCore.Internal;
using Mtls.Extensions.Testing;
using Xunit;

namespace Mtls.Extensions.AspNetCore.Tests;

/// <summary>
/// Every option of the <c>Validation</c> section, set exactly as an operator would: an environment variable
/// (<c>Mtls__Server__Validation__X</c>) read by the standard environment-variable provider, through the server's own
/// options-to-validation mapping; each row shows the option changes a verdict, and that the sentence the option would
/// relax names it by its configuration key.
/// </summary>
public sealed class MtlsValidationOptionsTests(TestPkiFixture pki) : IClassFixture<TestPkiFixture>
{
    private const string OrdersId = TestPkiFixture.OrdersId;

    public static TheoryData<string, string> Options => new()
    {
        { "Profile", "WebPki" },
        { "AllowMissingKeyIdentifiers", "true" },
        { "AllowCommonNameNotInSubjectAltNames", "true" },
        { "MinimumRsaKeySize", "3072" },
        { "MaxPeerIntermediates", "0" },
        { "MaxCandidatePaths", "1" },
        { "MaxSignatureVerifications", "1" },
    };

    [Theory]
    [MemberData(nameof(Options))]
    public void ValidationOption_SetThroughAnEnvironmentVariable_TakesEffect(string option, string value)
    {
        var settings = new Dictionary<string, string>
        {
            [$"Mtls__Server__Validation__{option}"] = value,
        };
        if (option == "AllowCommonNameNotInSubjectAltNames")
        {
            settings["Mtls__Server__Validation__Profile"] = "WebPki"; // the Rfc5280 profile never looks at the CN
        }

        var configured = ServerPeerOptions(settings);
        var defaults = option == "AllowCommonNameNotInSubjectAltNames"
            ? ServerPeerOptions(new() { ["Mtls__Server__Validation__Profile"] = "WebPki" })
            : ServerPeerOptions([]);
        var key = $"Mtls:Server:Validation:{option}";
        var validator = new PeerCertificateValidator();
        var disposables = new List<IDisposable>();
        try
        {
            PeerValidationResult Judge(PeerValidationOptions options) => Scenario(option, validator, options, disposables);

            var before = Judge(defaults);
            var after = Judge(configured);

            Assert.NotEqual((before.IsValid, before.Reason), (after.IsValid, after.Reason));
            var rejected = after.IsValid ? before : after;
            var expected = option switch
            {
                "Profile" => MtlsRejectionReason.WrongUsage,
                "AllowMissingKeyIdentifiers" => MtlsRejectionReason.MissingKeyIdentifier,
                "AllowCommonNameNotInSubjectAltNames" => MtlsRejectionReason.CommonNameNotInSubjectAltNames,
                "MinimumRsaKeySize" => MtlsRejectionReason.WeakKey,
                _ => MtlsRejectionReason.PathBuildingLimitExceeded,
            };
            Assert.True(expected == rejected.Reason, rejected.ToString());
            if (option != "Profile")
            {
                Assert.Contains(key, rejected.Message, StringComparison.Ordinal);
            }
        }
        finally
        {
            foreach (var d in disposables)
            {
                d.Dispose();
            }
        }
    }

    [Fact]
    public void ValidationSection_UnknownKey_StopsStartUpNamingIt()
    {
        var ex = Record.Exception(() => ServerPeerOptions(new() { ["Mtls__Server__Validation__AllowEverything"] = "true" }));

        Assert.NotNull(ex);
        Assert.Contains("AllowEverything", AllMessages(ex), StringComparison.Ordinal);
    }

    [Fact]
    public void ValidationSection_OutOfRangeValue_StopsStartUpNamingTheKey()
    {
        var ex = Record.Exception(() => ServerPeerOptions(new() { ["Mtls__Server__Validation__MinimumRsaKeySize"] = "512" }));

        Assert.NotNull(ex);
        Assert.Contains("Mtls:Server:Validation:MinimumRsaKeySize", AllMessages(ex), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AllowMissingKeyIdentifiers_ClientWithoutAki_RefusedNamingTheKeyThenAcceptedWhenSetByEnvironment()
    {
        using var leaf = pki.Issuing.IssueLeaf("orders", o => { o.ForClient().WithSpiffeId(OrdersId); o.OmitExtensions.Add("2.5.29.35"); });

        using (var strict = Host([], logs: true))
        {
            strict.StartServer();
            using var client = strict.CreateMtlsClient(leaf);
            await Assert.ThrowsAnyAsync<HttpRequestException>(() => client.GetStringAsync(new Uri("/anonymous", UriKind.Relative)));
            var rejected = strict.Services.GetFakeLogCollector().GetSnapshot().Where(r => r.Id.Id == 201).Select(r => r.Message).ToList();
            Assert.Contains(rejected, m => m.Contains("MissingKeyIdentifier", StringComparison.Ordinal) && m.Contains("Mtls:Server:Validation:AllowMissingKeyIdentifiers=true", StringComparison.Ordinal));
        }

        using var relaxed = Host(new() { ["Mtls__Server__Validation__AllowMissingKeyIdentifiers"] = "true" });
        relaxed.StartServer();
        using var accepted = relaxed.CreateMtlsClient(leaf);
        Assert.Equal("hello", await accepted.GetStringAsync(new Uri("/anonymous", UriKind.Relative)));
    }

    [Fact]
    public async Task Profile_WebPkiSetByEnvironment_RefusesWhatRfc5280Accepts()
    {
        using var leaf = pki.Issuing.IssueLeaf("orders", o =>
        {
            o.ForClient().WithSpiffeId(OrdersId);
            o.OmitExtensions.Add("2.5.29.37");
            o.ExtraExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.2"), new Oid("2.5.29.37.0")], false));
        });

        using (var rfc5280 = Host([]))
        {
            rfc5280.StartServer();
            using var client = rfc5280.CreateMtlsClient(leaf);
            Assert.Equal("hello", await client.GetStringAsync(new Uri("/anonymous", UriKind.Relative)));
        }

        using var webPki = Host(new() { ["Mtls__Server__Validation__Profile"] = "WebPki" });
        webPki.StartServer();
        using var collector = webPki.CollectValidations();
        using var refused = webPki.CreateMtlsClient(leaf);
        await Assert.ThrowsAnyAsync<HttpRequestException>(() => refused.GetStringAsync(new Uri("/anonymous", UriKind.Relative)));
        Assert.Contains(nameof(MtlsRejectionReason.WrongUsage), MutualTlsServerTests.Reasons(collector));
    }

    private PeerValidationResult Scenario(string option, PeerCertificateValidator validator, PeerValidationOptions options, List<IDisposable> disposables)
    {
        T Keep<T>(T disposable)
            where T : IDisposable
        {
            disposables.Add(disposable);
            return disposable;
        }

        // A fresh snapshot per verdict: nothing verified earlier is remembered.
        var trust = pki.Root.ToTrustBundle();
        switch (option)
        {
            case "Profile":
            {
                var leaf = Keep(pki.Issuing.IssueLeaf("orders", o =>
                {
                    o.ForClient().WithSpiffeId(OrdersId);
                    o.OmitExtensions.Add("2.5.29.37");
                    o.ExtraExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.2"), new Oid("2.5.29.37.0")], false));
                }));
                return validator.Validate(leaf.PublicCopy(), leaf.IntermediatesCollection(), trust, PeerRole.Client, options);
            }

            case "AllowMissingKeyIdentifiers":
            {
                var leaf = Keep(pki.Issuing.IssueLeaf("orders", o => { o.ForClient().WithSpiffeId(OrdersId); o.OmitExtensions.Add("2.5.29.35"); }));
                return validator.Validate(leaf.PublicCopy(), leaf.IntermediatesCollection(), trust, PeerRole.Client, options);
            }

            case "AllowCommonNameNotInSubjectAltNames":
            {
                // The certificate openssl makes: CN=inventory, SAN DNS:localhost, IP:127.0.0.1, judged as a server.
                var leaf = Keep(pki.Issuing.IssueLeaf("inventory", o => o.ForServer().WithDnsNames("localhost").WithIpAddresses(IPAddress.Loopback)));
                return validator.Validate(leaf.PublicCopy(), leaf.IntermediatesCollection(), trust, PeerRole.Server, options, "localhost");
            }

            case "MinimumRsaKeySize":
            {
                var leaf = Keep(pki.Issuing.IssueLeaf("orders", o => { o.ForClient().WithSpiffeId(OrdersId); o.KeyAlgorithm = TestKeyAlgorithm.Rsa2048; }));
                return validator.Validate(leaf.PublicCopy(), leaf.IntermediatesCollection(), trust, PeerRole.Client, options);
            }

            case "MaxPeerIntermediates":
            {
                var leaf = Keep(pki.Issuing.IssueClient("orders", OrdersId));
                var sent = new X509Certificate2Collection { leaf.PublicCopy(), pki.Issuing.PublicCopy() };
                return validator.Validate(leaf.PublicCopy(), sent, trust, PeerRole.Client, options);
            }

            case "MaxCandidatePaths":
            {
                // Three versions of the issuing CA, each complete to the root but each failing the leaf's usage rule.
                var leaf = Keep(pki.Issuing.IssueLeaf("orders", o => o.ForServer()));
                var versions = Enumerable.Range(0, 3).Select(_ => Keep(pki.Root.CrossSign(pki.Issuing)).PublicCopy()).ToArray();
                return validator.Validate(leaf.PublicCopy(), [.. versions], trust, PeerRole.Client, options);
            }

            case "MaxSignatureVerifications":
            {
                // Leaf → issuing CA → root: two signatures to verify under a fresh snapshot.
                var leaf = Keep(pki.Issuing.IssueClient("orders", OrdersId));
                return validator.Validate(leaf.PublicCopy(), leaf.IntermediatesCollection(), trust, PeerRole.Client, options);
            }

            default:
                throw new ArgumentOutOfRangeException(nameof(option), option, "no scenario");
        }
    }

    /// <summary>The peer validation options the running server mapped from its configuration.</summary>
    private PeerValidationOptions ServerPeerOptions(Dictionary<string, string> environment)
    {
        using var host = Host(environment);
        host.StartServer();
        return host.Services.GetRequiredService<MutualTlsServer>().PeerOptions;
    }

    /// <summary>
    /// A server whose configuration includes the given variables through the standard environment-variable provider
    /// (under a prefix unique to this call, so that parallel tests do not see each other's variables).
    /// </summary>
    private MtlsTestHost Host(Dictionary<string, string> environment, bool logs = false)
    {
        var prefix = $"MTLSTEST_{Guid.NewGuid():N}_";
        foreach (var (name, value) in environment)
        {
            Environment.SetEnvironmentVariable(prefix + name, value);
        }

        return new MtlsTestHost(
            pki,
            new Dictionary<string, string?> { ["Logging:LogLevel:Default"] = "Information" },
            configureServices: logs ? s => s.AddFakeLogging() : null,
            configureConfiguration: c => c.AddEnvironmentVariables(prefix));
    }

    private static string AllMessages(Exception ex)
    {
        var text = new System.Text.StringBuilder();
        for (Exception? e = ex; e is not null; e = e.InnerException)
        {
            text.AppendLine(e.Message);
            if (e is AggregateException aggregate)
            {
                foreach (var inner in aggregate.InnerExceptions)
                {
                    text.AppendLine(AllMessages(inner));
                }
            }
        }

        return text.ToString();
    }
}
