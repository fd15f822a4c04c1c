extern alias orders;

using System.Net;
using System.Text.Json;
using Mtls.Extensions.AspNetCore.TestApp;
using Mtls.Extensions.Testing.AspNetCore;

namespace Mtls.Extensions.AspNetCore.Tests;

/// <summary>The Orders.Api sample under MtlsWebApplicationFactory, calling a real mTLS upstream (the test app as Inventory).</summary>
public sealed class OrdersSampleTests
{
    private const string OrdersId = "spiffe://example.org/ns/default/sa/orders";

    [Fact]
    public async Task UpstreamAnswerThatIsNotASuccess_Is502ProblemDetails_NamingTheUpstreamStatus()
    {
        await using var inventory = new MtlsWebApplicationFactory<TestAppMarker>();
        await using var orders = OrdersCalling(inventory);
        using var caller = orders.CreateMtlsClient(orders.IssueClient("demo", "spiffe://example.org/ns/default/sa/demo"));

        // The test app has /whoami (200) but no /inventory (404).
        using var check = await caller.GetAsync(new Uri("/orders/check", UriKind.Relative));
        using var stock = await caller.GetAsync(new Uri("/orders/stock", UriKind.Relative));
        using var problem = JsonDocument.Parse(await stock.Content.ReadAsStringAsync());

        Assert.Equal(HttpStatusCode.OK, check.StatusCode);
        Assert.Equal(HttpStatusCode.BadGateway, stock.StatusCode);
        Assert.Equal("application/problem+json", stock.Content.Headers.ContentType?.MediaType);
        Assert.Equal(404, problem.RootElement.GetProperty("upstreamStatus").GetInt32());
        Assert.Contains("HTTP 404", problem.RootElement.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    private static MtlsWebApplicationFactory<orders::Program> OrdersCalling(MtlsWebApplicationFactory<TestAppMarker> inventory)
    {
        var client = inventory.IssueClient("orders", OrdersId);
        var orders = new MtlsWebApplicationFactory<orders::Program>();
        orders.Settings["Mtls:Clients:inventory:BaseAddress"] = inventory.HttpsAddress.ToString();
        orders.Settings["Mtls:Clients:inventory:Certificate:Directory"] = string.Empty;
        orders.Settings["Mtls:Clients:inventory:Certificate:Pem"] = client.ExportCertificatePem() + client.ExportKeyPem();
        orders.Settings["Mtls:Clients:inventory:TrustedCa:Pem"] = inventory.Root.ExportCertificatePem();
        orders.Settings["Mtls:Clients:inventory:ExpectedServer"] = string.Empty; // the request host against the SANs
        orders.Settings["Logging:LogLevel:Default"] = "Warning";
        return orders;
    }
}
