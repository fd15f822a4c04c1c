// Inventory.Api: a service that only talks mutual TLS.
// Configuration comes only from the standard keys (appsettings.json, environment variables):
//   Mtls:Server:*              the server certificate, the pinned CA, allowed peers (see the repository README)
//   Inventory:AllowedCallers   SPIFFE IDs allowed to read /inventory
using System.Security.Claims;
using Microsoft.AspNetCore.Authorization;
using Mtls.Extensions.AspNetCore;

var builder = WebApplication.CreateBuilder(args);
builder.AddMutualTls();
builder.Services.AddMtlsSpiffe(); // Certificate:WorkloadApi:Socket (or SPIFFE_ENDPOINT_SOCKET with WorkloadApi:Enabled) switches to the SPIFFE Workload API

var allowedCallers = builder.Configuration.GetSection("Inventory:AllowedCallers").Get<string[]>() is { Length: > 0 } configured
    ? configured
    : ["spiffe://example.org/ns/default/sa/orders"];

builder.Services.AddAuthorizationBuilder()
    // Any peer whose certificate chains to a pinned CA (and passed AllowedPeers at the handshake).
    .AddPolicy("peer", p => p.AddAuthenticationSchemes(MutualTlsDefaults.AuthenticationScheme).RequireAuthenticatedUser())
    // Only the configured callers.
    .AddPolicy("inventory-readers", p => p.AddAuthenticationSchemes(MutualTlsDefaults.AuthenticationScheme).RequireSpiffeId(allowedCallers));
builder.Services.AddHealthChecks().AddMtlsCertificates();

var app = builder.Build();
app.UseAuthentication();
app.UseAuthorization();

// The endpoint benchmarks use: authentication + authorization, no JSON.
app.MapGet("/ping", () => Results.Text("ok")).RequireAuthorization("peer");

app.MapGet("/whoami", (ClaimsPrincipal user) => Results.Json(new WhoAmI(
    SpiffeId: user.FindFirstValue(MtlsClaimTypes.SpiffeId),
    Subject: user.FindFirstValue(ClaimTypes.X500DistinguishedName),
    ThumbprintSha256: user.FindFirstValue(MtlsClaimTypes.ThumbprintSha256),
    DnsNames: user.FindAll(ClaimTypes.Dns).Select(c => c.Value).ToArray(),
    Uris: user.FindAll(ClaimTypes.Uri).Select(c => c.Value).ToArray()))).RequireAuthorization("peer");

app.MapGet("/inventory", () => Results.Json(new[]
{
    new StockItem("apple", 42),
    new StockItem("pear", 7),
})).RequireAuthorization("inventory-readers");

app.MapHealthChecks("/healthz").RequireAuthorization("peer");

app.Run();

internal sealed record WhoAmI(string? SpiffeId, string? Subject, string? ThumbprintSha256, string[] DnsNames, string[] Uris);

internal sealed record StockItem(string Sku, int Quantity);
