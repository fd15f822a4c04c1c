using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Mtls.Extensions.AspNetCore;
using Mtls.Extensions.AspNetCore.TestApp;

// A small app for the integration tests: everything comes from configuration (Mtls:Server:*).
var builder = WebApplication.CreateBuilder(args);
builder.AddMutualTls();
builder.Services.AddAuthorizationBuilder()
    .AddPolicy("orders-policy", p => p.RequireSpiffeId("spiffe://example.org/ns/prod/sa/orders"))
    .AddPolicy("prod-policy", p => p.RequireSpiffeIdPathPrefix("spiffe://example.org/ns/prod"));
builder.Services.AddHealthChecks().AddMtlsCertificates();

var app = builder.Build();
app.MapGet("/anonymous", () => "hello");
app.MapGet("/ping", () => "ok").RequireMtlsPeer();
app.MapGet("/whoami", (HttpContext context) => Results.Json(new
{
    name = context.User.Identity?.Name,
    authenticationType = context.User.Identity?.AuthenticationType,
    claims = context.User.Claims.Select(c => new ClaimDto(c.Type, c.Value)).ToArray(),
})).RequireMtlsPeer();
app.MapGet("/orders-only", () => "orders").RequireMtlsPeer("spiffe://example.org/ns/prod/sa/orders");
app.MapGet("/orders-policy", () => "orders").RequireAuthorization("orders-policy");
app.MapGet("/prod-policy", () => "prod").RequireAuthorization("prod-policy");
// What a request's peer looks like after the forwarding gate: forwarded or direct, and which forwarding headers survived.
app.MapGet("/forwarded", (HttpContext context) =>
{
    var peer = context.Features.Get<IMtlsPeerFeature>();
    return Results.Json(new
    {
        peer = peer?.Result?.Identity?.DisplayName,
        reason = peer?.Result?.Reason.ToString(),
        forwardedBy = peer?.ForwardedBy,
        proxy = peer?.Proxy?.Identity?.DisplayName,
        clientCertificate = context.Connection.ClientCertificate?.Subject,
        headers = context.Request.Headers.Keys.Where(k => k.Contains("cert", StringComparison.OrdinalIgnoreCase)).Order(StringComparer.OrdinalIgnoreCase).ToArray(),
    });
});
// Probes for callers without a certificate (a plain-HTTP port in the tests), and the detailed report for peers.
app.MapMtlsHealthProbes();
app.MapHealthChecks("/healthz", new HealthCheckOptions { ResponseWriter = MtlsHealthResponseWriter.WriteJsonAsync }).RequireMtlsPeer();
app.Run();
