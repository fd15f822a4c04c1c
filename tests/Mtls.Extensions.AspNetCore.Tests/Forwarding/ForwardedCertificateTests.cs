using System.Net;
using Mtls.Extensions.AspNetCore.Internal.Forwarding;
using Mtls.Extensions.Testing;
using static Mtls.Extensions.AspNetCore.Tests.Forwarding.ForwardingTestData;

namespace Mtls.Extensions.AspNetCore.Tests.Forwarding;

/// <summary>
/// Forwarded client certificates on a real Kestrel with real handshakes: only from listed proxies, judged by the one
/// validator with the server's trust, AllowedPeers and policies; forged headers from anyone else never reach the app.
/// </summary>
public sealed class ForwardedCertificateTests(TestPkiFixture pki) : IClassFixture<TestPkiFixture>
{
    private static readonly (string, string)[] NoHeaders = [];

    private (string, string)[] ForgedHeaders(TestCertificate claimed) =>
    [
        ("Client-Cert", SfBinary(claimed.Certificate)),
        ("Client-Cert-Chain", SfBinary(pki.Issuing.Certificate)),
        ("X-Forwarded-Client-Cert", Xfcc(claimed.Certificate, pki.Issuing.Certificate)),
        ("X-SSL-Client-Cert", UrlEncodedPem(claimed.Certificate)),
        ("X-ARR-ClientCert", Convert.ToBase64String(claimed.Certificate.RawData)),
        ("X-Amzn-Mtls-Clientcert", UrlEncodedPem(claimed.Certificate, pki.Issuing.Certificate)),
    ];

    [Fact]
    public async Task Gate_NoProxiesConfigured_ForgedHeadersRemovedCountedAndOwnIdentityKept()
    {
        using var host = new MtlsTestHost(pki);
        host.StartServer();
        using var removals = CollectRemovals(host);
        using var client = host.CreateMtlsClient(pki.Orders);

        var view = await GetForwardedAsync(client, ForgedHeaders(pki.Billing));

        Assert.Equal(TestPkiFixture.OrdersId, view.Peer);
        Assert.Null(view.ForwardedBy);
        Assert.Empty(view.Headers);
        Assert.Equal(6, removals.GetMeasurementSnapshot().Sum(m => m.Value));
        Assert.All(removals.GetMeasurementSnapshot(), m => Assert.Equal(ForwardingMetrics.UntrustedSource, m.Tags[ForwardingMetrics.ReasonTag]));
    }

    [Fact]
    public async Task Gate_TrustedProxyIdentity_Rfc9440CertificateIsTheRequestsPeer()
    {
        using var ingress = IssueIngress(pki);
        using var host = new MtlsTestHost(pki, Proxy(0, peer: IngressId));
        host.StartServer();
        using var client = host.CreateMtlsClient(ingress);
        (string, string)[] headers = [("Client-Cert", SfBinary(pki.Orders.Certificate)), ("Client-Cert-Chain", SfBinary(pki.Issuing.Certificate))];

        var view = await GetForwardedAsync(client, headers);
        Assert.Equal(TestPkiFixture.OrdersId, view.Peer);
        Assert.Equal(pki.Orders.Certificate.Subject, view.ClientCertificate);
        Assert.Equal(IngressId, view.Proxy);
        Assert.Contains(IngressId, view.ForwardedBy, StringComparison.Ordinal);
        Assert.Contains("Mtls:Server:Forwarding:Proxies:0", view.ForwardedBy, StringComparison.Ordinal);

        using var whoami = await SendAsync(client, "/whoami", headers);
        Assert.Equal(HttpStatusCode.OK, whoami.StatusCode);
        Assert.Contains(TestPkiFixture.OrdersId, await whoami.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        using var policy = await SendAsync(client, "/orders-policy", headers);
        Assert.Equal(HttpStatusCode.OK, policy.StatusCode);
    }

    [Fact]
    public async Task Gate_TrustedIdentityOverUntrustedNetwork_HeadersRemovedAndProxyIsThePeer()
    {
        using var ingress = IssueIngress(pki);
        using var host = new MtlsTestHost(pki, Proxy(0, peer: IngressId, network: "10.0.0.0/8"));
        host.StartServer();
        using var removals = CollectRemovals(host);
        using var client = host.CreateMtlsClient(ingress);

        var view = await GetForwardedAsync(client, ForgedHeaders(pki.Orders));

        Assert.Equal(IngressId, view.Peer);
        Assert.Null(view.ForwardedBy);
        Assert.Empty(view.Headers);
        Assert.NotEmpty(removals.GetMeasurementSnapshot());
        using var policy = await SendAsync(client, "/orders-policy", ForgedHeaders(pki.Orders));
        Assert.Equal(HttpStatusCode.Forbidden, policy.StatusCode);
    }

    [Fact]
    public async Task Gate_MixedDirectAndForwardedPeers_EachRequestIsJudgedAsItsOwnPeer()
    {
        using var ingress = IssueIngress(pki);
        using var host = new MtlsTestHost(pki, Proxy(0, peer: IngressId));
        host.StartServer();
        using var proxy = host.CreateMtlsClient(ingress);
        using var direct = host.CreateMtlsClient(pki.Billing);
        (string, string)[] forwardOrders = [("Client-Cert", SfBinary(pki.Orders.Certificate)), ("Client-Cert-Chain", SfBinary(pki.Issuing.Certificate))];

        for (var i = 0; i < 3; i++)
        {
            var forwarded = await GetForwardedAsync(proxy, forwardOrders);
            var own = await GetForwardedAsync(direct, forwardOrders);   // a direct peer forging a forwarded certificate
            Assert.Equal(TestPkiFixture.OrdersId, forwarded.Peer);
            Assert.Equal(TestPkiFixture.BillingId, own.Peer);
            Assert.Null(own.ForwardedBy);
            Assert.Equal(pki.Billing.Certificate.Subject, own.ClientCertificate);
            using var proxyPolicy = await SendAsync(proxy, "/orders-policy", forwardOrders);
            using var directPolicy = await SendAsync(direct, "/orders-policy", forwardOrders);
            Assert.Equal(HttpStatusCode.OK, proxyPolicy.StatusCode);
            Assert.Equal(HttpStatusCode.Forbidden, directPolicy.StatusCode);
        }

        // The proxy's own identity never stands in for a request that forwards nothing.
        using var bare = await SendAsync(proxy, "/whoami", NoHeaders);
        Assert.Equal(HttpStatusCode.Unauthorized, bare.StatusCode);
    }

    [Fact]
    public async Task Gate_ForwardedForeignCaCertificate_Rejected401AsUntrustedRoot()
    {
        using var ingress = IssueIngress(pki);
        using var host = new MtlsTestHost(pki, Proxy(0, peer: IngressId));
        host.StartServer();
        using var rogueRoot = TestPki.CreateRoot("Fleet Root");
        using var rogue = rogueRoot.IssueClient("rogue", TestPkiFixture.OrdersId);
        using var client = host.CreateMtlsClient(ingress);
        using var collector = host.CollectValidations();

        using var response = await SendAsync(client, "/anonymous", ("Client-Cert", SfBinary(rogue.Certificate)));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains(nameof(MtlsRejectionReason.UntrustedRoot), MutualTlsServerTests.Reasons(collector));
    }

    [Theory]
    [InlineData("Client-Cert", "not-a-byte-sequence")]
    [InlineData("Client-Cert", ":!!!notbase64!!!:")]
    [InlineData("Client-Cert", ":AAAA:")]
    public async Task Gate_MalformedForwardedCertificate_Rejected401AsMalformedCertificate(string header, string value)
    {
        using var ingress = IssueIngress(pki);
        using var host = new MtlsTestHost(pki, Proxy(0, peer: IngressId));
        host.StartServer();
        using var client = host.CreateMtlsClient(ingress);
        using var collector = host.CollectValidations();

        using var response = await SendAsync(client, "/anonymous", (header, value));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal(nameof(MtlsRejectionReason.MalformedCertificate), Assert.Single(MutualTlsServerTests.Reasons(collector)));
    }

    [Fact]
    public async Task Gate_MissingForwardedCertificateUnderRequire_Rejected401()
    {
        using var ingress = IssueIngress(pki);
        using var host = new MtlsTestHost(pki, Proxy(0, peer: IngressId));
        host.StartServer();
        using var client = host.CreateMtlsClient(ingress);

        using var response = await SendAsync(client, "/anonymous", NoHeaders);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("MutualTls", response.Headers.WwwAuthenticate.ToString());
    }

    [Fact]
    public async Task Gate_MissingForwardedCertificateUnderAllow_AnonymousServedProtectedRefused()
    {
        using var ingress = IssueIngress(pki);
        var settings = Proxy(0, peer: IngressId);
        settings["Mtls:Server:ClientCertificateMode"] = "Allow";
        using var host = new MtlsTestHost(pki, settings);
        host.StartServer();
        using var client = host.CreateMtlsClient(ingress);

        var view = await GetForwardedAsync(client, NoHeaders);
        Assert.Equal(nameof(MtlsRejectionReason.NoCertificate), view.Reason);
        Assert.Null(view.ClientCertificate);   // never the proxy's own certificate
        using var ping = await SendAsync(client, "/ping", NoHeaders);
        Assert.Equal(HttpStatusCode.Unauthorized, ping.StatusCode);
    }

    [Fact]
    public async Task Gate_ForwardedIdentityNotInAllowedPeers_Rejected403AsIdentityNotAllowed()
    {
        using var ingress = IssueIngress(pki);
        var settings = Proxy(0, peer: IngressId);
        settings["Mtls:Server:AllowedPeers:0"] = TestPkiFixture.OrdersId;
        settings["Mtls:Server:AllowedPeers:1"] = IngressId;
        using var host = new MtlsTestHost(pki, settings);
        host.StartServer();
        using var client = host.CreateMtlsClient(ingress);
        using var collector = host.CollectValidations();

        using var billing = await SendAsync(client, "/anonymous", ("Client-Cert", SfBinary(pki.Billing.Certificate)), ("Client-Cert-Chain", SfBinary(pki.Issuing.Certificate)));
        using var orders = await SendAsync(client, "/anonymous", ("Client-Cert", SfBinary(pki.Orders.Certificate)), ("Client-Cert-Chain", SfBinary(pki.Issuing.Certificate)));

        Assert.Equal(HttpStatusCode.Forbidden, billing.StatusCode);
        Assert.Equal(HttpStatusCode.OK, orders.StatusCode);
        Assert.Contains(nameof(MtlsRejectionReason.IdentityNotAllowed), MutualTlsServerTests.Reasons(collector));
    }

    [Fact]
    public async Task Gate_SameForwardedCertificateTwice_ValidatedOnce()
    {
        using var ingress = IssueIngress(pki);
        using var host = new MtlsTestHost(pki, Proxy(0, peer: IngressId));
        host.StartServer();
        using var client = host.CreateMtlsClient(ingress);
        await GetForwardedAsync(client, ("Client-Cert", SfBinary(pki.Orders.Certificate)), ("Client-Cert-Chain", SfBinary(pki.Issuing.Certificate)));
        using var collector = host.CollectValidations();

        for (var i = 0; i < 5; i++)
        {
            var view = await GetForwardedAsync(client, ("Client-Cert", SfBinary(pki.Orders.Certificate)), ("Client-Cert-Chain", SfBinary(pki.Issuing.Certificate)));
            Assert.Equal(TestPkiFixture.OrdersId, view.Peer);
        }

        Assert.Empty(collector.GetMeasurementSnapshot());
    }

    [Fact]
    public async Task Gate_NetworkProxyOnPlainHttp_EnvoyLastElementCountsAndItsUriFieldIsIgnored()
    {
        var settings = Proxy(0, network: "127.0.0.1/32", format: "Envoy");
        settings["Mtls:Server:AllowPlainHttpEndpoints"] = "true";
        using var host = new MtlsTestHost(pki, settings, EndpointWiring.PlainHttp);
        host.StartServer();
        using var client = new HttpClient { BaseAddress = host.BaseAddress };
        // Two hops: an outer proxy's element (billing), then the nearest proxy's (orders), whose URI= names billing.
        var xfcc = Xfcc(pki.Billing.Certificate, pki.Issuing.Certificate) + "," + Xfcc(pki.Orders.Certificate, pki.Issuing.Certificate);

        var view = await GetForwardedAsync(client, ("X-Forwarded-Client-Cert", xfcc));

        Assert.Equal(TestPkiFixture.OrdersId, view.Peer);
        Assert.Null(view.Proxy);
        Assert.Contains("127.0.0.1", view.ForwardedBy, StringComparison.Ordinal);
        Assert.Equal(["X-Forwarded-Client-Cert"], view.Headers);
    }

    [Fact]
    public async Task Gate_ProxiesReloaded_NewListAppliesAndABadListChangesNothing()
    {
        using var ingress = IssueIngress(pki);
        var configuration = new ReloadableConfiguration(new Dictionary<string, string?>());
        using var host = new MtlsTestHost(pki, configureConfiguration: c => c.Add(configuration));
        host.StartServer();
        using var client = host.CreateMtlsClient(ingress);
        (string, string)[] headers = [("Client-Cert", SfBinary(pki.Orders.Certificate)), ("Client-Cert-Chain", SfBinary(pki.Issuing.Certificate))];
        Assert.Equal(IngressId, (await GetForwardedAsync(client, headers)).Peer);

        configuration.Replace("Mtls:Server:Forwarding", Proxy(0, peer: IngressId));
        Assert.Equal(TestPkiFixture.OrdersId, (await GetForwardedAsync(client, headers)).Peer);

        try
        {
            configuration.Replace("Mtls:Server:Forwarding", Proxy(0, network: "10.0.0.1/8"));
        }
        catch (AggregateException e) when (e.Flatten().InnerExceptions.Any(i => i is Microsoft.Extensions.Options.OptionsValidationException))
        {
            // The options monitor hands the validation failure back to whoever reloaded; the running list must not change.
        }

        Assert.Equal(TestPkiFixture.OrdersId, (await GetForwardedAsync(client, headers)).Peer);
    }
}
