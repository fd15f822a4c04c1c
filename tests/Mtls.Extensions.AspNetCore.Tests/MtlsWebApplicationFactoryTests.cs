using System.Net;
using System.Text.Json;
using Mtls.Extensions.AspNetCore.TestApp;
using Mtls.Extensions.Testing;
using Mtls.Extensions.Testing.AspNetCore;

namespace Mtls.Extensions.AspNetCore.Tests;

/// <summary>The shipped test kit: a user's app under WebApplicationFactory on real Kestrel with a test PKI.</summary>
public sealed class MtlsWebApplicationFactoryTests
{
    [Fact]
    public async Task OneLine_RunsTheAppOnKestrel_AClientPresentsItsCertificateWithIntermediates()
    {
        await using var app = new MtlsWebApplicationFactory<TestAppMarker>();
        using var client = app.CreateMtlsClient(app.IssueClient("orders", TestPkiFixture.OrdersId));

        var body = await client.GetStringAsync(new Uri("/whoami", UriKind.Relative));

        Assert.Equal("https", app.HttpsAddress.Scheme);
        Assert.Equal(TestPkiFixture.OrdersId, JsonDocument.Parse(body).RootElement.GetProperty("name").GetString());
    }

    [Fact]
    public async Task MtlsWebApplicationFactory_AuthenticatedButNotAllowed_Gets403()
    {
        await using var app = new MtlsWebApplicationFactory<TestAppMarker>();
        using var client = app.CreateMtlsClient(app.IssueClient("billing", TestPkiFixture.BillingId));

        using var response = await client.GetAsync(new Uri("/orders-only", UriKind.Relative));

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    [Fact]
    public async Task MtlsWebApplicationFactory_BadCertificates_RejectedAtTheHandshake()
    {
        await using var app = new MtlsWebApplicationFactory<TestAppMarker>();
        using var otherRoot = TestPki.CreateRoot("Other Root");
        using var foreign = otherRoot.IssueClient("orders", TestPkiFixture.OrdersId);
        var now = TimeProvider.System.GetUtcNow();
        using var expired = app.Issuing.IssueLeaf("orders", o => o.ForClient().WithSpiffeId(TestPkiFixture.OrdersId).ValidBetween(now.AddDays(-2), now.AddDays(-1)));
        using var serverUsage = app.Issuing.IssueLeaf("orders", o => o.ForServer().WithSpiffeId(TestPkiFixture.OrdersId));
        using var good = app.IssueClient("orders", TestPkiFixture.OrdersId);

        foreach (var (certificate, sendIntermediates) in new[] { (foreign, true), (expired, true), (serverUsage, true), (good, false) })
        {
            using var client = app.CreateMtlsClient(certificate, sendIntermediates);
            await Assert.ThrowsAsync<HttpRequestException>(() => client.GetAsync(new Uri("/ping", UriKind.Relative)));
        }

        using var accepted = app.CreateMtlsClient(good);
        Assert.Equal("ok", await accepted.GetStringAsync(new Uri("/ping", UriKind.Relative)));
    }

    [Fact]
    public async Task Settings_ApplyOnTopOfThePki_AndTheAppConfigurationIsReplaced()
    {
        // The app's configuration names files that do not exist here; the factory switches them off.
        await using var app = new MtlsWebApplicationFactory<TestAppMarker>();
        app.Settings["Mtls:Server:AllowedPeers:0"] = "spiffe://example.org/ns/prod/sa/orders";
        app.Settings["Mtls:Server:Certificate:Directory"] = string.Empty;
        using var billing = app.CreateMtlsClient(app.IssueClient("billing", TestPkiFixture.BillingId));
        using var orders = app.CreateMtlsClient(app.IssueClient("orders", TestPkiFixture.OrdersId));

        await Assert.ThrowsAsync<HttpRequestException>(() => billing.GetAsync(new Uri("/ping", UriKind.Relative)));
        Assert.Equal("ok", await orders.GetStringAsync(new Uri("/ping", UriKind.Relative)));
    }
}
