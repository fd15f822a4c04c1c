using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Mtls.Extensions.Infrastructure;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Liveness and readiness probes for load balancers and Kubernetes, which carry no client certificate.</summary>
public static class MtlsHealthEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Maps <c>{prefix}/live</c> and <c>{prefix}/ready</c>: anonymous, answering only <c>Healthy</c> (200) or
    /// <c>Unhealthy</c> (503) as plain text, never a certificate, identity or error message. Liveness is healthy while the
    /// process serves requests. Readiness is unhealthy until every certificate and trust bundle that <c>AddMutualTls</c>
    /// and <c>AddMtlsHttpClient</c> declared has loaded, and again when one has expired or never loaded; a Degraded source
    /// (renewal overdue, last reload failed) is still ready, because the last good material is served.
    /// </summary>
    /// <param name="endpoints">The endpoint route builder.</param>
    /// <param name="prefix">The path prefix.</param>
    /// <returns>The group of both probes, to add conventions (e.g. <c>RequireHost("*:8081")</c> to serve them on the probe port only).</returns>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    /// <remarks>
    /// A probe must reach the app without a client certificate, and with <c>ClientCertificateMode = Require</c> no
    /// handshake succeeds without one. Serve the probes on a plain-HTTP port next to the mutual TLS one
    /// (<c>ASPNETCORE_HTTP_PORTS=8081</c> with <c>ASPNETCORE_HTTPS_PORTS=8443</c>): <c>AddMutualTls</c> wires only HTTPS
    /// endpoints, so the HTTP port needs no certificate, and every endpoint that requires the <c>MutualTls</c> scheme
    /// answers 401 there. Endpoints with no authorization at all would be served on that port too: set a fallback
    /// policy (<c>AuthorizationOptions.FallbackPolicy</c>) or <c>RequireHost</c> on them. The probes are
    /// <c>AllowAnonymous</c> and pass a fallback policy.
    /// </remarks>
    public static RouteGroupBuilder MapMtlsHealthProbes(this IEndpointRouteBuilder endpoints, string prefix = "/healthz")
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentNullException.ThrowIfNull(prefix);
        var group = endpoints.MapGroup(prefix);
        group.MapGet("/live", static context => WriteAsync(context, HealthStatus.Healthy)).AllowAnonymous();
        group.MapGet("/ready", static context =>
        {
            var ready = context.RequestServices.GetRequiredService<MtlsSourceRegistry>().IsReady();
            return WriteAsync(context, ready ? HealthStatus.Healthy : HealthStatus.Unhealthy);
        }).AllowAnonymous();
        return group;
    }

    private static Task WriteAsync(HttpContext context, HealthStatus status)
    {
        context.Response.StatusCode = status == HealthStatus.Unhealthy ? StatusCodes.Status503ServiceUnavailable : StatusCodes.Status200OK;
        context.Response.ContentType = "text/plain";
        context.Response.Headers.CacheControl = "no-store, no-cache";
        return context.Response.WriteAsync(status.ToString(), context.RequestAborted);
    }
}
