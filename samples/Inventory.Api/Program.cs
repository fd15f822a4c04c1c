// Inventory.Api: a service that only talks mutual TLS.
// Configuration comes only from the standard keys (appsettings.json, environment variables):
//   Mtls:Server:*              the server certificate, the pinned CA, allowed peers (see the repository README)
//   Inventory:AllowedCallers   SPIFFE IDs allowed to read /inventory
// Development settings (the .mtls-dev/ certificate folder, 127.0.0.1 ports) live in appsettings.Development.json and
// Properties/launchSettings.json only; in production ASPNETCORE_URLS (or ASPNETCORE_HTTPS_PORTS / ASPNETCORE_HTTP_PORTS)
// and Mtls__Server__* environment variables configure everything.
using System.Security.Claims;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
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

// Probes for Kubernetes and load balancers, which carry no client certificate: /healthz/live and /healthz/ready answer
// "Healthy"/"Unhealthy" only, on every port, including a plain-HTTP probe port (ASPNETCORE_HTTP_PORTS=8081).
app.MapMtlsHealthProbes("/healthz");
// The detailed report (subject, SHA-256, expiry, lifetime left, last reload error) for authenticated peers only.
app.MapHealthChecks("/healthz", new HealthCheckOptions { ResponseWriter = MtlsHealthResponseWriter.WriteJsonAsync }).RequireAuthorization("peer");

app.Run();

internal sealed record WhoAmI(string? SpiffeId, string? Subject, string? ThumbprintSha256, string[] DnsNames, string[] Uris);

internal sealed record StockItem(string Sku, int Quantity);
