using System.Net;
using System.Net.Http.Json;
using System.Security.Claims;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.DependencyInjection;
using Mtls.Extensions.AspNetCore.TestApp;
using Mtls.Extensions.Testing;

namespace Mtls.Extensions.AspNetCore.Tests;

public sealed class MutualTlsServerTests(TestPkiFixture pki) : IClassFixture<TestPkiFixture>
{
    private sealed record WhoAmI(string? Name, string? AuthenticationType, ClaimDto[] Claims);

    internal static string[] Reasons(Microsoft.Extensions.Diagnostics.Metrics.Testing.MetricCollector<long> collector) =>
        collector.GetMeasurementSnapshot().Select(m => m.Tags.TryGetValue("error.type", out var r) ? r as string : null).OfType<string>().ToArray();

    private MtlsTestHost StartHost(IDictionary<string, string?>? settings = null, EndpointWiring wiring = EndpointWiring.UseMutualTls)
    {
        var host = new MtlsTestHost(pki, settings, wiring);
        host.StartServer();
        return host;
    }

    [Theory]
    [InlineData(EndpointWiring.UseMutualTls)]
    [InlineData(EndpointWiring.Urls)]
    public async Task MutualTlsServer_TrustedPeer_Gets200AndExpectedClaims(EndpointWiring wiring)
    {
        using var host = StartHost(wiring: wiring);
        using var client = host.CreateMtlsClient(pki.Orders);

        var who = await client.GetFromJsonAsync<WhoAmI>("/whoami");

        Assert.NotNull(who);
        Assert.Equal(TestPkiFixture.OrdersId, who.Name);
        Assert.Equal(MutualTlsDefaults.AuthenticationScheme, who.AuthenticationType);
        var claims = who.Claims.ToLookup(c => c.Type, c => c.Value);
        Assert.Equal(TestPkiFixture.OrdersId, Assert.Single(claims[MtlsClaimTypes.SpiffeId]));
        Assert.Equal("example.org", Assert.Single(claims[MtlsClaimTypes.SpiffeTrustDomain]));
        Assert.Equal("/ns/prod/sa/orders", Assert.Single(claims[MtlsClaimTypes.SpiffePath]));
        Assert.Equal(TestPkiFixture.OrdersId, Assert.Single(claims[ClaimTypes.Uri]));
        Assert.Equal("CN=orders", Assert.Single(claims[ClaimTypes.X500DistinguishedName]));
        Assert.Equal("CN=Fleet Issuing CA", Assert.Single(claims[MtlsClaimTypes.Issuer]));
        Assert.Equal(pki.Orders.Certificate.SerialNumber, Assert.Single(claims[ClaimTypes.SerialNumber]));
        Assert.Equal(pki.Orders.Certificate.Thumbprint, Assert.Single(claims[ClaimTypes.Thumbprint]));
        Assert.Equal(pki.Orders.ThumbprintSha256, Assert.Single(claims[MtlsClaimTypes.ThumbprintSha256]));
        Assert.Equal(System.Buffers.Text.Base64Url.EncodeToString(pki.Orders.Certificate.GetCertHash(System.Security.Cryptography.HashAlgorithmName.SHA256)), Assert.Single(claims[MtlsClaimTypes.X5tS256]));
    }

    [Fact]
    public async Task MutualTlsServer_SendsItsIntermediate_ClientPinningOnlyTheRootSucceeds()
    {
        using var host = StartHost();
        X509Certificate2Collection? seen = null;
        var handler = new SocketsHttpHandler
        {
            SslOptions =
            {
                ClientCertificateContext = pki.Orders.ToMaterial().Context,
                RemoteCertificateValidationCallback = (_, _, chain, _) =>
                {
                    seen = chain!.ChainPolicy.ExtraStore;
                    return true;
                },
            },
        };
        using var client = new HttpClient(handler) { BaseAddress = host.BaseAddress };
        Assert.Equal("ok", await client.GetStringAsync("/ping"));
        Assert.Contains(seen!.Cast<X509Certificate2>(), c => c.Subject == "CN=Fleet Issuing CA");
    }

    [Fact]
    public async Task MutualTlsServer_HundredRequestsOnOneConnection_ValidateOnceAndBuildNoChainOfOurOwn()
    {
        using var host = StartHost();
        using var collector = host.CollectValidations();
        var validator = host.Services.GetRequiredService<PeerCertificateValidator>();
        var ownBuildsBefore = validator.OwnChainBuilds;
        using var client = host.CreateMtlsClient(pki.Orders, maxConnections: 1);

        for (var i = 0; i < 100; i++)
        {
            Assert.Equal("ok", await client.GetStringAsync("/ping"));
        }

        var validations = collector.GetMeasurementSnapshot().Where(m => (string?)m.Tags["mtls.peer.role"] == "client").Sum(m => m.Value);
        Assert.Equal(1, validations);
        Assert.Equal(ownBuildsBefore, validator.OwnChainBuilds);
    }

    [Fact]
    public async Task MutualTlsServer_AuthenticatedButNotAllowed_Gets403()
    {
        using var host = StartHost();
        using var billing = host.CreateMtlsClient(pki.Billing);
        using var orders = host.CreateMtlsClient(pki.Orders);

        Assert.Equal(HttpStatusCode.Forbidden, (await billing.GetAsync("/orders-only")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await billing.GetAsync("/orders-policy")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await billing.GetAsync("/prod-policy")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await orders.GetAsync("/orders-only")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await orders.GetAsync("/orders-policy")).StatusCode);
    }

    [Fact]
    public async Task AllowMode_NoCertificate_Gets401OnProtectedAnd200OnAnonymous()
    {
        using var host = StartHost(new Dictionary<string, string?> { ["Mtls:Server:ClientCertificateMode"] = "Allow" });
        using var anonymous = host.CreateMtlsClient((TestCertificate?)null);

        var protectedResponse = await anonymous.GetAsync("/whoami");
        Assert.Equal(HttpStatusCode.Unauthorized, protectedResponse.StatusCode);
        Assert.Equal("MutualTls", protectedResponse.Headers.WwwAuthenticate.ToString());
        Assert.Equal("hello", await anonymous.GetStringAsync("/anonymous"));
    }

    [Fact]
    public async Task AllowMode_RejectedCertificate_Gets401WithoutHandshakeFailure()
    {
        using var host = StartHost(new Dictionary<string, string?> { ["Mtls:Server:ClientCertificateMode"] = "Allow" });
        using var rogueRoot = TestPki.CreateRoot("Rogue Root");
        using var rogue = rogueRoot.IssueClient("rogue", TestPkiFixture.OrdersId);
        using var client = host.CreateMtlsClient(rogue);

        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/whoami")).StatusCode);
        Assert.Equal("hello", await client.GetStringAsync("/anonymous"));
    }

    [Fact]
    public async Task RequireMode_NoCertificate_FailsHandshake()
    {
        using var host = StartHost();
        using var collector = host.CollectValidations();
        using var anonymous = host.CreateMtlsClient((TestCertificate?)null);

        await Assert.ThrowsAnyAsync<HttpRequestException>(() => anonymous.GetStringAsync("/anonymous"));
        Assert.Contains(nameof(MtlsRejectionReason.NoCertificate), Reasons(collector));
    }

    [Fact]
    public async Task AllowedPeers_PeerNotListed_RejectedAtTheHandshake()
    {
        using var host = StartHost(new Dictionary<string, string?> { ["Mtls:Server:AllowedPeers:0"] = TestPkiFixture.OrdersId });
        using var collector = host.CollectValidations();
        using var orders = host.CreateMtlsClient(pki.Orders);
        using var billing = host.CreateMtlsClient(pki.Billing);

        Assert.Equal("hello", await orders.GetStringAsync("/anonymous"));
        await Assert.ThrowsAnyAsync<HttpRequestException>(() => billing.GetStringAsync("/anonymous"));
        Assert.Contains(nameof(MtlsRejectionReason.IdentityNotAllowed), Reasons(collector));
    }

    [Fact]
    public async Task CertificateValidatedEvent_HandlerAddsAClaim_RequestSeesIt()
    {
        using var host = new MtlsTestHost(pki, configureServices: s => s.AddMutualTls(null, o => o.Events.OnCertificateValidated = ctx =>
        {
            ((ClaimsIdentity)ctx.Principal!.Identity!).AddClaim(new Claim(ClaimTypes.Role, "reader"));
            return Task.CompletedTask;
        }));
        host.StartServer();
        using var client = host.CreateMtlsClient(pki.Orders);

        var who = await client.GetFromJsonAsync<WhoAmI>("/whoami");
        Assert.Contains(who!.Claims, c => c.Type == ClaimTypes.Role && c.Value == "reader");
    }

    [Fact]
    public async Task CertificateValidatedEvent_RunsOncePerConnection_NotPerRequest()
    {
        var calls = 0;
        using var host = new MtlsTestHost(pki, configureServices: s => s.AddMutualTls(null, o => o.Events.OnCertificateValidated = ctx =>
        {
            Interlocked.Increment(ref calls);
            ((ClaimsIdentity)ctx.Principal!.Identity!).AddClaim(new Claim(ClaimTypes.Role, "reader"));
            return Task.CompletedTask;
        }));
        host.StartServer();
        using var first = host.CreateMtlsClient(pki.Orders, maxConnections: 1);
        using var second = host.CreateMtlsClient(pki.Orders, maxConnections: 1);

        for (var i = 0; i < 20; i++)
        {
            var who = await first.GetFromJsonAsync<WhoAmI>("/whoami");
            Assert.Single(who!.Claims, c => c.Type == ClaimTypes.Role && c.Value == "reader");
        }

        await second.GetFromJsonAsync<WhoAmI>("/whoami");
        Assert.Equal(2, calls);
    }
}
