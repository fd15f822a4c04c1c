using System.Security.Claims;
using Microsoft.AspNetCore.Authentication.Certificate;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Mtls.Extensions.AspNetCore.Tests;

/// <summary>
/// The authentication options, events and authorization code of an app written for <c>AddAuthentication().AddCertificate()</c>.
/// Both hosts of <see cref="CertificateCompatibilityTests"/> run exactly this code; only the TLS wiring differs.
/// </summary>
internal static class LegacyCertificateApp
{
    public const string ReaderRole = "reader";

    public static void ConfigureCertificate(CertificateAuthenticationOptions options, LegacyEventLog log)
    {
        options.Events = new CertificateAuthenticationEvents
        {
            OnCertificateValidated = context =>
            {
                Interlocked.Increment(ref log.Validated);
                if (context.Principal!.FindFirst(ClaimTypes.Name)?.Value == "orders")
                {
                    ((ClaimsIdentity)context.Principal.Identity!).AddClaim(new Claim(ClaimTypes.Role, ReaderRole, ClaimValueTypes.String, context.Options.ClaimsIssuer));
                }

                return Task.CompletedTask;
            },
            OnAuthenticationFailed = _ =>
            {
                Interlocked.Increment(ref log.Failed);
                return Task.CompletedTask;
            },
            OnChallenge = context =>
            {
                Interlocked.Increment(ref log.Challenged);
                context.Response.Headers["X-Challenged-By"] = context.Scheme.Name;
                return Task.CompletedTask;
            },
        };
    }

    public static void AddPolicies(IServiceCollection services, string ordersThumbprint) =>
        services.AddAuthorizationBuilder()
            .AddPolicy("by-thumbprint", p => p.RequireClaim(ClaimTypes.Thumbprint, ordersThumbprint))
            .AddPolicy("by-name", p => p.RequireClaim(ClaimTypes.Name, "orders"))
            .AddPolicy("by-subject", p => p.RequireClaim(ClaimTypes.X500DistinguishedName, "CN=orders"))
            .AddPolicy("by-uri", p => p.RequireClaim(ClaimTypes.Uri, TestPkiFixture.OrdersId))
            .AddPolicy("by-email", p => p.RequireClaim(ClaimTypes.Email, "alice@example.org"))
            .AddPolicy("by-role", p => p.AddAuthenticationSchemes(CertificateAuthenticationDefaults.AuthenticationScheme).RequireRole(ReaderRole));

    public static void MapEndpoints(WebApplication app)
    {
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapGet("/whoami", [Authorize(AuthenticationSchemes = CertificateAuthenticationDefaults.AuthenticationScheme)] (HttpContext context) => Results.Json(new LegacyWhoAmI(
            context.User.Identity?.Name,
            context.User.Identity?.AuthenticationType,
            context.User.Claims.Select(c => new[] { c.Type, c.Value, c.ValueType, c.Issuer }).ToArray())));
        app.MapGet("/thumbprint", [Authorize(AuthenticationSchemes = CertificateAuthenticationDefaults.AuthenticationScheme, Policy = "by-thumbprint")] () => "thumbprint");
        app.MapGet("/name", [Authorize(AuthenticationSchemes = CertificateAuthenticationDefaults.AuthenticationScheme, Policy = "by-name")] () => "name");
        app.MapGet("/subject", [Authorize(AuthenticationSchemes = "Certificate", Policy = "by-subject")] () => "subject");
        app.MapGet("/uri", [Authorize(AuthenticationSchemes = "Certificate", Policy = "by-uri")] () => "uri");
        app.MapGet("/email", [Authorize(AuthenticationSchemes = "Certificate", Policy = "by-email")] () => "email");
        app.MapGet("/role", [Authorize(Policy = "by-role")] () => "role");
    }
}

internal sealed class LegacyEventLog
{
#pragma warning disable SA1401, CA1051 // counters incremented with Interlocked
    public int Validated;
    public int Failed;
    public int Challenged;
#pragma warning restore SA1401, CA1051
}

internal sealed record LegacyWhoAmI(string? Name, string? AuthenticationType, string[][] Claims);
