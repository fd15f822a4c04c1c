using System.Diagnostics;
using System.Net;
using Microsoft.AspNetCore.Authentication.Certificate;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Mtls.Extensions.Testing;

namespace Mtls.Extensions.AspNetCore.Tests;

/// <summary>A test that needs the operating system's CA file (Debian's ca-certificates); skipped where it is absent.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class OsCaFileFactAttribute : FactAttribute
{
    public const string Path = "/etc/ssl/certs/ca-certificates.crt";

    public OsCaFileFactAttribute()
    {
        if (!File.Exists(Path))
        {
            Skip = $"needs the operating system's CA file {Path} (apt-get install -y ca-certificates)";
        }
    }
}

/// <summary>Issue 24 items 2-9 through a real host: configuration traps and operator mistakes caught at start-up.</summary>
public sealed class OperatorMistakeTests(TestPkiFixture pki) : IClassFixture<TestPkiFixture>
{
    private const string ServerLogCategory = "Logging:LogLevel:Mtls.Extensions.AspNetCore.Internal.MutualTlsServer";

    private static string AllMessages(Exception ex)
    {
        var messages = new List<string>();
        for (Exception? e = ex; e is not null; e = e.InnerException)
        {
            messages.Add(e.Message);
            if (e is AggregateException aggregate)
            {
                messages.AddRange(aggregate.InnerExceptions.Select(i => i.Message));
            }
        }

        return string.Join(" | ", messages);
    }

    /// <summary>Keys as a deployment sets them: environment variables (<c>Mtls__Server__...</c>), read through a prefix unique to one host.</summary>
    private static Action<IConfigurationBuilder> EnvironmentVariables(IDictionary<string, string> variables)
    {
        var prefix = $"MTLS_TEST_{Guid.NewGuid():N}_";
        foreach (var (name, value) in variables)
        {
            Environment.SetEnvironmentVariable(prefix + name, value);
        }

        return c => c.AddEnvironmentVariables(prefix);
    }

    private static Action<IServiceCollection> Respond(string path, Func<HttpContext, string> answer) => services =>
        services.AddSingleton<IStartupFilter>(new RespondingStartupFilter(path, answer));

    [Fact]
    public async Task AllowedPeers_EnvironmentOverlayByIndex_LogsTheEffectiveList()
    {
        // appsettings.json lists inventory and billing; the environment "replaces" the list with orders, by index 0 only.
        using var host = new MtlsTestHost(
            pki,
            new Dictionary<string, string?>
            {
                ["Mtls:Server:AllowedPeers:0"] = "spiffe://example.org/ns/prod/sa/inventory",
                ["Mtls:Server:AllowedPeers:1"] = TestPkiFixture.BillingId,
                [ServerLogCategory] = "Information",
            },
            configureServices: s => s.AddFakeLogging(),
            configureConfiguration: EnvironmentVariables(new Dictionary<string, string> { ["Mtls__Server__AllowedPeers__0"] = TestPkiFixture.OrdersId }));
        host.StartServer();

        var line = Assert.Single(host.Services.GetFakeLogCollector().GetSnapshot(), r => r.Id.Id == 256);
        Assert.Equal(LogLevel.Information, line.Level);
        Assert.Contains($"Mtls:Server:AllowedPeers in force", line.Message, StringComparison.Ordinal);
        Assert.EndsWith($": {TestPkiFixture.OrdersId}, {TestPkiFixture.BillingId}.", line.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(host.Services.GetFakeLogCollector().GetSnapshot(), r => r.Id.Id == 257);

        // What the log says is what the handshake enforces: billing, never meant to stay, still gets in.
        using var billing = host.CreateMtlsClient(pki.Billing);
        Assert.Equal("ok", await billing.GetStringAsync("/ping"));
    }

    [Fact]
    public async Task AllowedPeers_EveryIndexOverriddenAndTheRestBlank_ReplaceTheList()
    {
        // The documented way to replace a list from the environment: set each index, blank the ones the file has beyond.
        using var host = new MtlsTestHost(
            pki,
            new Dictionary<string, string?>
            {
                ["Mtls:Server:AllowedPeers:0"] = "spiffe://example.org/ns/prod/sa/inventory",
                ["Mtls:Server:AllowedPeers:1"] = TestPkiFixture.BillingId,
                [ServerLogCategory] = "Information",
            },
            configureServices: s => s.AddFakeLogging(),
            configureConfiguration: EnvironmentVariables(new Dictionary<string, string>
            {
                ["Mtls__Server__AllowedPeers__0"] = TestPkiFixture.OrdersId,
                ["Mtls__Server__AllowedPeers__1"] = string.Empty,
            }));
        host.StartServer();

        var line = Assert.Single(host.Services.GetFakeLogCollector().GetSnapshot(), r => r.Id.Id == 256);
        Assert.EndsWith($": {TestPkiFixture.OrdersId}.", line.Message, StringComparison.Ordinal);
        using var orders = host.CreateMtlsClient(pki.Orders);
        Assert.Equal("ok", await orders.GetStringAsync("/ping"));
        using var billing = host.CreateMtlsClient(pki.Billing);
        await Assert.ThrowsAnyAsync<HttpRequestException>(() => billing.GetStringAsync("/ping"));
    }

    [Fact]
    public async Task AllowedPeers_BlankEnvironmentEntry_WarnsAnyPeerThePinnedCasIssued()
    {
        using var host = new MtlsTestHost(
            pki,
            new Dictionary<string, string?> { [ServerLogCategory] = "Information" },
            configureServices: s => s.AddFakeLogging(),
            configureConfiguration: EnvironmentVariables(new Dictionary<string, string> { ["Mtls__Server__AllowedPeers__0"] = string.Empty }));
        host.StartServer();

        var warning = Assert.Single(host.Services.GetFakeLogCollector().GetSnapshot(), r => r.Id.Id == 257);
        Assert.Equal(LogLevel.Warning, warning.Level);
        Assert.Contains("Mtls:Server:AllowedPeers is configured but empty after binding", warning.Message, StringComparison.Ordinal);
        Assert.Contains("any peer the pinned CAs issued", warning.Message, StringComparison.Ordinal);
        Assert.Contains("CN=Fleet Root", warning.Message, StringComparison.Ordinal);
        using var billing = host.CreateMtlsClient(pki.Billing);
        Assert.Equal("ok", await billing.GetStringAsync("/ping"));
    }

    [Fact]
    public void AllowedPeers_NeverConfigured_LoggedWithoutWarning()
    {
        using var host = new MtlsTestHost(pki, new Dictionary<string, string?> { [ServerLogCategory] = "Information" }, configureServices: s => s.AddFakeLogging());
        host.StartServer();

        var logs = host.Services.GetFakeLogCollector().GetSnapshot();
        Assert.Contains("any peer the pinned CAs issued (the list is empty)", Assert.Single(logs, r => r.Id.Id == 256).Message, StringComparison.Ordinal);
        Assert.DoesNotContain(logs, r => r.Id.Id == 257);
    }

    [Fact]
    public void HttpsDefaults_ReplacedByALaterConfigureHttpsDefaultsCall_StopStartupNamingTheCall()
    {
        // The old Kestrel block, left in place after AddMutualTls(): registered later, it replaces our HTTPS defaults.
        using var host = new MtlsTestHost(pki, wiring: EndpointWiring.Urls, configureServices: s => s.Configure<KestrelServerOptions>(k => k.ConfigureHttpsDefaults(h =>
        {
            h.ServerCertificate = pki.Server.Certificate;
            h.ClientCertificateMode = ClientCertificateMode.RequireCertificate;
            h.ClientCertificateValidation = (_, _, _) => true;
        })));

        var text = AllMessages(Assert.ThrowsAny<Exception>(() => host.StartServer()));

        Assert.Contains("The HTTPS endpoint https://127.0.0.1:", text, StringComparison.Ordinal);
        Assert.Contains("a KestrelServerOptions.ConfigureHttpsDefaults(...) call registered after AddMutualTls() replaced the HTTPS defaults", text, StringComparison.Ordinal);
        Assert.Contains("listenOptions.UseMutualTls()", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HttpsDefaults_ReplacedButEveryEndpointUsesUseMutualTls_Start()
    {
        // UseMutualTls() applies the wiring after whatever HTTPS defaults are in force: nothing is lost.
        using var host = new MtlsTestHost(pki, configureServices: s => s.Configure<KestrelServerOptions>(k => k.ConfigureHttpsDefaults(h => h.ClientCertificateMode = ClientCertificateMode.RequireCertificate)));
        host.StartServer();

        using var orders = host.CreateMtlsClient(pki.Orders);
        Assert.Equal("ok", await orders.GetStringAsync("/ping"));
    }

    [Fact]
    public void OfficialCertificateScheme_WithoutCompatibilityBridge_StopsStartupSayingWhatToAdd()
    {
        using var host = new MtlsTestHost(pki, configureServices: s => s.AddAuthentication(CertificateAuthenticationDefaults.AuthenticationScheme).AddCertificate());

        var text = AllMessages(Assert.ThrowsAny<Exception>(() => host.StartServer()));

        Assert.Contains("The authentication scheme 'Certificate' is the official certificate handler (AddCertificate()) next to AddMutualTls()", text, StringComparison.Ordinal);
        Assert.Contains("Add .AddCertificateCompatibility() after .AddCertificate()", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OfficialCertificateScheme_WithCompatibilityBridge_Starts()
    {
        using var host = new MtlsTestHost(pki, configureServices: s => s.AddAuthentication(CertificateAuthenticationDefaults.AuthenticationScheme).AddCertificate().AddCertificateCompatibility());
        host.StartServer();

        using var orders = host.CreateMtlsClient(pki.Orders);
        Assert.Equal("ok", await orders.GetStringAsync("/ping"));
    }

    [OsCaFileFact]
    public void TrustBundle_OperatingSystemCaFile_StopsStartupNamingTheFileTheCountAndTheKey()
    {
        using var host = new MtlsTestHost(pki, new Dictionary<string, string?> { ["Mtls:Server:TrustedCa:Path"] = OsCaFileFactAttribute.Path });

        var text = AllMessages(Assert.ThrowsAny<Exception>(() => host.StartServer()));

        Assert.Contains($"Mtls:Server:TrustedCa:Path ('{OsCaFileFactAttribute.Path}')", text, StringComparison.Ordinal);
        Assert.Matches(@"holds [1-9][0-9]* publicly trusted root CA\(s\) \(it is the operating system's CA file\)", text);
        Assert.Contains("set Mtls:Server:TrustedCa:AcceptPeersIssuedByPublicCas to true", text, StringComparison.Ordinal);
    }

    [OsCaFileFact]
    public void TrustBundle_OnePublicRootAddedToOurCa_StopsStartupCountingIt()
    {
        var osPem = File.ReadAllText(OsCaFileFactAttribute.Path);
        var end = osPem.IndexOf("-----END CERTIFICATE-----", StringComparison.Ordinal) + "-----END CERTIFICATE-----".Length;
        var mixed = pki.WriteFile("ca-plus-public.pem", File.ReadAllText(pki.CaPath) + osPem[osPem.IndexOf("-----BEGIN CERTIFICATE-----", StringComparison.Ordinal)..end] + "\n");
        using var host = new MtlsTestHost(pki, new Dictionary<string, string?> { ["Mtls:Server:TrustedCa:Path"] = mixed });

        var text = AllMessages(Assert.ThrowsAny<Exception>(() => host.StartServer()));

        Assert.Contains($"Mtls:Server:TrustedCa:Path ('{mixed}'): the trust bundle holds 1 publicly trusted root CA(s) found in the operating system's root store", text, StringComparison.Ordinal);
    }

    [OsCaFileFact]
    public async Task TrustBundle_OperatingSystemCaFileAllowedThroughEnvironmentKey_Starts()
    {
        using var host = new MtlsTestHost(
            pki,
            new Dictionary<string, string?> { ["Mtls:Server:TrustedCa:Path"] = OsCaFileFactAttribute.Path },
            configureConfiguration: EnvironmentVariables(new Dictionary<string, string> { ["Mtls__Server__TrustedCa__AcceptPeersIssuedByPublicCas"] = "true" }));
        host.StartServer();

        // Only public roots are pinned now: our own client is refused during the handshake.
        using var orders = host.CreateMtlsClient(pki.Orders);
        await Assert.ThrowsAnyAsync<HttpRequestException>(() => orders.GetStringAsync("/ping"));
    }

    [Fact]
    public void TrustBundle_HoldingAPrivateKey_StopsStartupNamingTheFile()
    {
        var bundle = pki.WriteFile("ca-with-key.pem", File.ReadAllText(pki.CaPath) + pki.Orders.ExportKeyPem());
        using var host = new MtlsTestHost(pki, new Dictionary<string, string?> { ["Mtls:Server:TrustedCa:Path"] = bundle });

        var text = AllMessages(Assert.ThrowsAny<Exception>(() => host.StartServer()));

        Assert.Contains($"Mtls:Server:TrustedCa:Path ('{bundle}'): the trust bundle holds a private key", text, StringComparison.Ordinal);
        Assert.DoesNotContain("PRIVATE KEY", text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Mtls:Server:Certificate:Path")]
    [InlineData("Mtls:Server:Certificate:KeyPath")]
    [InlineData("Mtls:Server:TrustedCa:Path")]
    public async Task FilePath_Fifo_StopsStartupWithoutOpeningIt(string key)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        var fifo = Path.Combine(pki.Directory, $"fifo-{Guid.NewGuid():N}");
        using (var mkfifo = Process.Start(new ProcessStartInfo("mkfifo", [fifo]) { UseShellExecute = false })!)
        {
            await mkfifo.WaitForExitAsync();
            Assert.Equal(0, mkfifo.ExitCode);
        }

        var link = fifo + ".link";
        File.CreateSymbolicLink(link, fifo);
        using var host = new MtlsTestHost(pki, new Dictionary<string, string?> { [key] = link });

        // Bounded: on a FIFO, opening blocks until a writer appears; the check must refuse before opening.
        var start = Task.Run(() => AllMessages(Assert.ThrowsAny<Exception>(() => host.StartServer())));
        var text = await start.WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Contains($"{key} ('{link}')", text, StringComparison.Ordinal);
        Assert.Contains("the path is a FIFO (named pipe), not a regular file (links followed); it was not opened", text, StringComparison.Ordinal);
    }

    [Fact]
    public void TrustBundlePath_CharacterDevice_StopsStartupNamingIt()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        using var host = new MtlsTestHost(pki, new Dictionary<string, string?> { ["Mtls:Server:TrustedCa:Path"] = "/dev/zero" });

        var text = AllMessages(Assert.ThrowsAny<Exception>(() => host.StartServer()));

        Assert.Contains("Mtls:Server:TrustedCa:Path ('/dev/zero'): the path is a character device, not a regular file", text, StringComparison.Ordinal);
    }

    [Fact]
    public void KestrelSslProtocols_BelowTls12_StopStartupNamingTheEndpoint()
    {
        using var host = new MtlsTestHost(
            pki,
            new Dictionary<string, string?>
            {
                ["Kestrel:Endpoints:Mtls:Url"] = "https://127.0.0.1:0",
                ["Kestrel:Endpoints:Mtls:SslProtocols:0"] = "Tls11",
            },
            wiring: EndpointWiring.Urls);

        var text = AllMessages(Assert.ThrowsAny<Exception>(() => host.StartServer()));

        Assert.Contains("The HTTPS endpoint https://127.0.0.1:", text, StringComparison.Ordinal);
        Assert.Contains("allows Tls11: mutual TLS needs TLS 1.2 or 1.3", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AllowMode_RejectedCertificate_NotSurfacedOutsideTheScheme()
    {
        static string Describe(HttpContext context) =>
            $"{context.Connection.ClientCertificate?.Subject ?? "none"}|{context.Features.Get<ITlsConnectionFeature>()?.ClientCertificate?.Subject ?? "none"}|" +
            $"{context.Connection.GetClientCertificateAsync().GetAwaiter().GetResult()?.Subject ?? "none"}";

        using var rogueCa = TestPki.CreateRoot("Rogue Root");
        using var rogue = rogueCa.IssueClient("rogue", "spiffe://example.org/ns/prod/sa/rogue");
        using var host = new MtlsTestHost(pki, new Dictionary<string, string?> { ["Mtls:Server:ClientCertificateMode"] = "Allow" }, configureServices: Respond("/client-certificate", Describe));
        host.StartServer();

        using var rejected = host.CreateMtlsClient(rogue);
        Assert.Equal("none|none|none", await rejected.GetStringAsync("/client-certificate"));
        Assert.Equal(HttpStatusCode.Unauthorized, (await rejected.GetAsync("/ping")).StatusCode);

        using var accepted = host.CreateMtlsClient(pki.Orders);
        var subject = pki.Orders.Certificate.Subject;
        Assert.Equal($"{subject}|{subject}|{subject}", await accepted.GetStringAsync("/client-certificate"));
    }

    private sealed class RespondingStartupFilter(string path, Func<HttpContext, string> answer) : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use(async (context, nextMiddleware) =>
            {
                if (context.Request.Path == path)
                {
                    await context.Response.WriteAsync(answer(context));
                    return;
                }

                await nextMiddleware(context);
            });
            next(app);
        };
    }
}
