// Orders.Api: a mutual TLS service that calls Inventory.Api over mutual TLS.
// Configuration comes only from the standard keys:
//   Mtls:Server:*               this service's certificate and pinned CA (see the repository README)
//   Mtls:Clients:inventory:*    BaseAddress, Certificate, TrustedCa, ExpectedServer of the Inventory client
// Development settings live in appsettings.Development.json and Properties/launchSettings.json only; in production
// ASPNETCORE_URLS (or ASPNETCORE_HTTPS_PORTS / ASPNETCORE_HTTP_PORTS) and Mtls__* environment variables configure everything.
using System.Security.Claims;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using System.Text.Json;
using System.Text.Json.Nodes;
using Mtls.Extensions.AspNetCore;
using Mtls.Extensions.Http;

var builder = WebApplication.CreateBuilder(args);
builder.AddMutualTls();
builder.Services.AddMtlsSpiffe(); // Certificate:WorkloadApi:Socket (or SPIFFE_ENDPOINT_SOCKET with WorkloadApi:Enabled) switches to the SPIFFE Workload API
builder.Services.AddMtlsHttpClient("inventory");
builder.Services.AddAuthorizationBuilder()
    .AddPolicy("peer", p => p.AddAuthenticationSchemes(MutualTlsDefaults.AuthenticationScheme).RequireAuthenticatedUser());
builder.Services.AddHealthChecks().AddMtlsCertificates();
builder.Services.AddProblemDetails();

var app = builder.Build();
app.UseAuthentication();
app.UseAuthorization();

app.MapGet("/ping", () => Results.Text("ok")).RequireAuthorization("peer");

// Calls Inventory's /whoami and reports what Inventory saw of this service.
app.MapGet("/orders/check", (ClaimsPrincipal user, IHttpClientFactory clients, CancellationToken cancellationToken) =>
    CallInventoryAsync(user, clients, "/whoami", cancellationToken)).RequireAuthorization("peer");

// Calls Inventory's /inventory, which only authorized callers may read.
app.MapGet("/orders/stock", (ClaimsPrincipal user, IHttpClientFactory clients, CancellationToken cancellationToken) =>
    CallInventoryAsync(user, clients, "/inventory", cancellationToken)).RequireAuthorization("peer");

// Probes without a client certificate (plain status text), and the detailed report for authenticated peers.
app.MapMtlsHealthProbes("/healthz");
app.MapHealthChecks("/healthz", new HealthCheckOptions { ResponseWriter = MtlsHealthResponseWriter.WriteJsonAsync }).RequireAuthorization("peer");

app.Run();

static async Task<IResult> CallInventoryAsync(ClaimsPrincipal user, IHttpClientFactory clients, string path, CancellationToken cancellationToken)
{
    var caller = user.FindFirstValue(MtlsClaimTypes.SpiffeId) ?? user.Identity?.Name;
    try
    {
        using var response = await clients.CreateClient("inventory").GetAsync(new Uri(path, UriKind.Relative), cancellationToken);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            // Never pass an upstream failure off as a success: the caller gets a 502 naming what Inventory answered.
            return Results.Problem(
                title: "Inventory answered with an error.",
                detail: $"GET {path} on Inventory returned HTTP {(int)response.StatusCode} {response.ReasonPhrase}.",
                statusCode: StatusCodes.Status502BadGateway,
                extensions: new Dictionary<string, object?>
                {
                    ["upstreamStatus"] = (int)response.StatusCode,
                    ["caller"] = caller,
                });
        }

        JsonNode? saw;
        try
        {
            saw = JsonNode.Parse(body);
        }
        catch (JsonException)
        {
            saw = JsonValue.Create(body);
        }

        return Results.Json(new JsonObject
        {
            ["inventorySaw"] = saw,
            ["inventoryStatus"] = (int)response.StatusCode,
            ["caller"] = caller,
        });
    }
    catch (MtlsHandshakeException e)
    {
        return Results.Problem(
            title: "The mutual TLS call to Inventory failed.",
            detail: e.Message,
            statusCode: StatusCodes.Status502BadGateway,
            extensions: new Dictionary<string, object?>
            {
                ["reason"] = e.Reason.ToString(),
                ["rejectedBy"] = e.RejectedBy.ToString(),
                ["caller"] = caller,
            });
    }
}
