using System.Net;
using System.Net.Http.Json;
using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Authentication.Certificate;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Mtls.Extensions.AspNetCore.Internal;
using Mtls.Extensions.Testing;

namespace Mtls.Extensions.AspNetCore.Tests;

/// <summary>
/// An app written for <c>AddCertificate()</c> (<see cref="LegacyCertificateApp"/>) on the official handler and on
/// <c>AddMutualTls().AddCertificateCompatibility()</c>, through real Kestrel handshakes: same answers, same claims, same events.
/// </summary>
public sealed class CertificateCompatibilityTests(TestPkiFixture pki) : IClassFixture<TestPkiFixture>
{
    private static readonly string[] Paths = ["/whoami", "/thumbprint", "/name", "/subject", "/uri", "/email", "/role"];

    private sealed class LegacyHost(WebApplication app, LegacyEventLog events) : IAsyncDisposable
    {
        public WebApplication App { get; } = app;

        public LegacyEventLog Events { get; } = events;

        public Uri BaseAddress { get; } = new(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());

        public ValueTask DisposeAsync() => App.DisposeAsync();
    }

    /// <summary>The app as its users run it today: Kestrel asks for a certificate, the official handler validates it per request.</summary>
    private async Task<LegacyHost> StartOfficialAsync(Action<CertificateAuthenticationOptions>? configure = null)
    {
        var events = new LegacyEventLog();
        var builder = CreateBuilder();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, lo => lo.UseHttps(h =>
        {
            h.ServerCertificate = pki.Server.Certificate;
            h.ServerCertificateChain = pki.Server.IntermediatesCollection();
            h.ClientCertificateMode = ClientCertificateMode.AllowCertificate;
            h.ClientCertificateValidation = (_, _, _) => true; // the handler decides
        })));
        builder.Services.AddAuthentication().AddCertificate(o =>
        {
            o.ChainTrustValidationMode = X509ChainTrustMode.CustomRootTrust;
            o.CustomTrustStore.Add(pki.Root.PublicCopy());
            o.AdditionalChainCertificates.Add(pki.Issuing.PublicCopy());
            o.RevocationMode = X509RevocationMode.NoCheck;
            LegacyCertificateApp.ConfigureCertificate(o, events);
            configure?.Invoke(o);
        });
        return await StartAsync(builder, events);
    }

    /// <summary>The same app on AddMutualTls(): its AddCertificate() call and authorization untouched, the Kestrel client-certificate settings replaced.</summary>
    private async Task<LegacyHost> StartMutualTlsAsync(string? trustedCaPath = null, bool addCertificateFirst = true, Action<CertificateAuthenticationOptions>? configure = null)
    {
        var events = new LegacyEventLog();
        var builder = CreateBuilder();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, lo => lo.UseMutualTls()));
        if (addCertificateFirst)
        {
            builder.Services.AddAuthentication().AddCertificate(o =>
            {
                o.RevocationMode = X509RevocationMode.NoCheck;
                LegacyCertificateApp.ConfigureCertificate(o, events);
                configure?.Invoke(o);
            });
        }

        var mtls = builder.Services.AddMutualTls(o =>
        {
            o.Certificate.Path = pki.ServerCertPath;
            o.Certificate.KeyPath = pki.ServerKeyPath;
            o.TrustedCa.Path = trustedCaPath ?? pki.CaPath;
            o.ClientCertificateMode = MtlsClientCertificateMode.Allow;
            o.Reload.DebounceDelay = TimeSpan.FromMilliseconds(50);
        });
        if (addCertificateFirst)
        {
            mtls.AddCertificateCompatibility();
        }
        else
        {
            mtls.AddCertificateCompatibility(o =>
            {
                LegacyCertificateApp.ConfigureCertificate(o, events);
                configure?.Invoke(o);
            });
        }

        return await StartAsync(builder, events);
    }

    private static WebApplicationBuilder CreateBuilder()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        return builder;
    }

    private async Task<LegacyHost> StartAsync(WebApplicationBuilder builder, LegacyEventLog events)
    {
        LegacyCertificateApp.AddPolicies(builder.Services, pki.Orders.Certificate.Thumbprint);
        var app = builder.Build();
        LegacyCertificateApp.MapEndpoints(app);
        app.MapGet("/mutate", [Microsoft.AspNetCore.Authorization.Authorize(AuthenticationSchemes = CertificateAuthenticationDefaults.AuthenticationScheme)] (Microsoft.AspNetCore.Http.HttpContext context) =>
        {
            ((System.Security.Claims.ClaimsIdentity)context.User.Identity!).AddClaim(new System.Security.Claims.Claim("mutated", "yes"));
            return "mutated";
        });
        await app.StartAsync();
        return new LegacyHost(app, events);
    }

    private HttpClient Client(LegacyHost host, TestCertificate? certificate)
    {
        var root = pki.Root.PublicCopy();
        var policy = new X509ChainPolicy { TrustMode = X509ChainTrustMode.CustomRootTrust, DisableCertificateDownloads = true, RevocationMode = X509RevocationMode.NoCheck };
        policy.CustomTrustStore.Add(root);
        var handler = new SocketsHttpHandler
        {
            SslOptions = new SslClientAuthenticationOptions
            {
                EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
                ClientCertificateContext = certificate is null ? null : SslStreamCertificateContext.Create(certificate.Certificate, certificate.IntermediatesCollection(), offline: true),
                CertificateChainPolicy = policy,
                RemoteCertificateValidationCallback = (_, _, _, errors) => errors == SslPolicyErrors.None,
            },
        };
        return new HttpClient(handler) { BaseAddress = host.BaseAddress };
    }

    private async Task<string[]> AnswersAsync(LegacyHost host, TestCertificate? certificate)
    {
        using var client = Client(host, certificate);
        var answers = new List<string>();
        foreach (var path in Paths)
        {
            using var response = await client.GetAsync(path);
            answers.Add($"{path} {(int)response.StatusCode} {string.Join(",", response.Headers.TryGetValues("X-Challenged-By", out var by) ? by : [])}");
        }

        return [.. answers];
    }

    [Fact]
    public async Task CertificateCompatibility_SameCertificates_ClaimsEqualTheOfficialHandlers()
    {
        using var alice = pki.Issuing.IssueLeaf("alice", o =>
        {
            o.ForClient().WithDnsNames("alice.example.org", "alice-2.example.org");
            o.Emails.Add("alice@example.org");
            o.Uris.Add("https://alice.example.org/profile");
            o.Subject = "CN=alice, OU=Payments, O=Example, C=NL";
        });
        using var plain = pki.Issuing.IssueClient("plain");
        await using var official = await StartOfficialAsync();
        await using var mtls = await StartMutualTlsAsync();

        foreach (var certificate in new[] { pki.Orders, pki.Billing, alice, plain })
        {
            using var officialClient = Client(official, certificate);
            using var mtlsClient = Client(mtls, certificate);
            var expected = await officialClient.GetFromJsonAsync<LegacyWhoAmI>("/whoami");
            var actual = await mtlsClient.GetFromJsonAsync<LegacyWhoAmI>("/whoami");

            Assert.NotNull(expected);
            Assert.NotNull(actual);
            Assert.Contains(expected.Claims, c => c[0] == System.Security.Claims.ClaimTypes.Thumbprint && c[1] == certificate.Certificate.Thumbprint);
            Assert.Equal(expected.Name, actual.Name);
            Assert.Equal(expected.AuthenticationType, actual.AuthenticationType);
            Assert.Equal(expected.Claims.Select(c => string.Join(" | ", c)), actual.Claims.Select(c => string.Join(" | ", c)));
        }
    }

    [Fact]
    public async Task CertificateCompatibility_AuthorizationWrittenForAddCertificate_SameAnswersOnMutualTls()
    {
        using var alice = pki.Issuing.IssueLeaf("alice", o => o.ForClient().Emails.Add("alice@example.org"));
        using var stranger = TestPki.CreateRoot("Stranger Root");
        using var outsider = stranger.IssueClient("orders", TestPkiFixture.OrdersId); // same names, untrusted CA
        await using var official = await StartOfficialAsync();
        await using var mtls = await StartMutualTlsAsync();

        foreach (var certificate in new[] { pki.Orders, pki.Billing, alice, outsider, null })
        {
            var expected = await AnswersAsync(official, certificate);
            var actual = await AnswersAsync(mtls, certificate);
            Assert.Equal(expected, actual);
        }

        // The expectations themselves, so that two equally broken hosts cannot pass.
        Assert.Equal(["/whoami 200 ", "/thumbprint 200 ", "/name 200 ", "/subject 200 ", "/uri 200 ", "/email 403 ", "/role 200 "], await AnswersAsync(mtls, pki.Orders));
        Assert.Equal(["/whoami 200 ", "/thumbprint 403 ", "/name 403 ", "/subject 403 ", "/uri 403 ", "/email 200 ", "/role 403 "], await AnswersAsync(mtls, alice));
        Assert.All(await AnswersAsync(mtls, outsider), a => Assert.EndsWith(" 403 Certificate", a));
        Assert.All(await AnswersAsync(mtls, null), a => Assert.EndsWith(" 403 Certificate", a));
    }

    [Fact]
    public async Task CertificateCompatibility_UserEventsOnMutualTls_RunOncePerConnectionWithNoChainBuiltPerRequest()
    {
        using var stranger = TestPki.CreateRoot("Stranger Root");
        using var outsider = stranger.IssueClient("outsider");
        await using var mtls = await StartMutualTlsAsync();
        var validator = mtls.App.Services.GetRequiredService<PeerCertificateValidator>();
        var buildsBefore = validator.OwnChainBuilds;

        using (var orders = Client(mtls, pki.Orders))
        {
            for (var i = 0; i < 20; i++)
            {
                Assert.Equal("role", await orders.GetStringAsync("/role")); // the role OnCertificateValidated added
            }
        }

        Assert.Equal(1, mtls.Events.Validated);
        Assert.Equal(buildsBefore, validator.OwnChainBuilds);

        using (var untrusted = Client(mtls, outsider))
        {
            Assert.Equal(HttpStatusCode.Forbidden, (await untrusted.GetAsync("/whoami")).StatusCode);
        }

        Assert.Equal(1, mtls.Events.Failed);
        Assert.Equal(1, mtls.Events.Challenged);
        using (var anonymous = Client(mtls, null))
        {
            Assert.Equal(HttpStatusCode.Forbidden, (await anonymous.GetAsync("/whoami")).StatusCode);
        }

        Assert.Equal(2, mtls.Events.Challenged);
        Assert.Equal(1, mtls.Events.Failed);
        Assert.Equal(1, mtls.Events.Validated);
    }

    [Fact]
    public async Task CertificateCompatibility_KeepAliveConnection_EveryRequestGetsItsOwnPrincipal()
    {
        await using var mtls = await StartMutualTlsAsync();
        using var orders = Client(mtls, pki.Orders);

        Assert.Equal("mutated", await orders.GetStringAsync("/mutate"));
        var who = await orders.GetFromJsonAsync<LegacyWhoAmI>("/whoami");

        Assert.Equal(1, mtls.Events.Validated); // the same connection: the cached outcome served the second request
        Assert.DoesNotContain(who!.Claims, c => c[0] == "mutated");
        Assert.Contains(who.Claims, c => c[0] == System.Security.Claims.ClaimTypes.Role && c[1] == LegacyCertificateApp.ReaderRole);
    }

    [Fact]
    public async Task AddCertificateCompatibility_Alone_RegistersTheSchemeWithTheAppsEvents()
    {
        await using var mtls = await StartMutualTlsAsync(addCertificateFirst: false);
        using var orders = Client(mtls, pki.Orders);

        Assert.Equal("thumbprint", await orders.GetStringAsync("/thumbprint"));
        Assert.Equal("role", await orders.GetStringAsync("/role"));
        Assert.Equal(1, mtls.Events.Validated);
    }

    [Fact]
    public async Task CertificateCompatibility_TrustBundleRotated_CertificateSchemeFollowsIt()
    {
        using var nextRoot = TestPki.CreateRoot("Next Fleet Root");
        using var nextOrders = nextRoot.IssueClient("orders", TestPkiFixture.OrdersId);
        var dir = Directory.CreateTempSubdirectory("mtls-compat-rotation-").FullName;
        try
        {
            var caPath = pki.Root.WriteCertificatePem(Path.Combine(dir, "ca.pem"));
            await using var mtls = await StartMutualTlsAsync(caPath);
            var trust = mtls.App.Services.GetRequiredService<MutualTlsServer>().Trust;
            using (var before = Client(mtls, nextOrders))
            {
                Assert.Equal(HttpStatusCode.Forbidden, (await before.GetAsync("/whoami")).StatusCode);
            }

            using var oldConnection = Client(mtls, pki.Orders);
            Assert.Equal("name", await oldConnection.GetStringAsync("/name"));

            var rotated = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            using var registration = trust.GetChangeToken().RegisterChangeCallback(_ => rotated.TrySetResult(), null);
            FileWriter.WriteAtomically(caPath, nextRoot.ExportCertificatePem());
            await rotated.Task.WaitAsync(TimeSpan.FromSeconds(30));

            using (var after = Client(mtls, nextOrders))
            {
                Assert.Equal("name", await after.GetStringAsync("/name"));
                Assert.Equal(HttpStatusCode.Forbidden, (await after.GetAsync("/thumbprint")).StatusCode); // pinned to the old certificate
            }

            using var oldOnNewConnection = Client(mtls, pki.Orders);
            Assert.Equal(HttpStatusCode.Forbidden, (await oldOnNewConnection.GetAsync("/name")).StatusCode);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task AllowedCertificateTypesSelfSignedOnly_ChainedCertificateFails_AsTheOfficialHandler()
    {
        await using var official = await StartOfficialAsync(o => o.AllowedCertificateTypes = CertificateTypes.SelfSigned);
        await using var mtls = await StartMutualTlsAsync(configure: o => o.AllowedCertificateTypes = CertificateTypes.SelfSigned);

        var expected = await AnswersAsync(official, pki.Orders);
        var actual = await AnswersAsync(mtls, pki.Orders);

        Assert.Equal(expected, actual);
        Assert.All(actual, a => Assert.EndsWith(" 403 Certificate", a));
        Assert.Equal(1, mtls.Events.Failed); // once for the connection
        Assert.Equal(0, mtls.Events.Validated);
    }

    [Fact]
    public void AddCertificateCompatibility_NullArguments_Throw()
    {
        Assert.Throws<ArgumentNullException>(() => MutualTlsCertificateCompatibilityExtensions.AddCertificateCompatibility(null!));
        Assert.Throws<ArgumentNullException>(() => MutualTlsCertificateCompatibilityExtensions.AddCertificateCompatibility(null!, configureOptions: null));
        Assert.Throws<ArgumentNullException>(() => MutualTlsCertificateCompatibilityExtensions.AddCertificateCompatibility(null!, "Certificate", null));
        var builder = new ServiceCollection().AddMutualTls(_ => { });
        Assert.ThrowsAny<ArgumentException>(() => builder.AddCertificateCompatibility(string.Empty, null));
        Assert.ThrowsAny<ArgumentException>(() => builder.AddCertificateCompatibility(null!, null));
    }

    [Fact]
    public void AddCertificateCompatibility_WithoutAddMutualTls_ThrowsNamingIt()
    {
        var builder = new ServiceCollection().AddAuthentication();

        var error = Assert.Throws<InvalidOperationException>(() => builder.AddCertificateCompatibility());

        Assert.Contains("AddMutualTls()", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AddCertificateCompatibility_CalledTwice_OneScheme()
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddMutualTls(_ => { }).AddCertificateCompatibility().AddCertificateCompatibility();
        await using var provider = services.BuildServiceProvider();

        var schemes = await provider.GetRequiredService<Microsoft.AspNetCore.Authentication.IAuthenticationSchemeProvider>().GetAllSchemesAsync();

        var scheme = Assert.Single(schemes, s => s.Name == CertificateAuthenticationDefaults.AuthenticationScheme);
        Assert.Equal(typeof(CertificateCompatibilityHandler), scheme.HandlerType);
    }
}
