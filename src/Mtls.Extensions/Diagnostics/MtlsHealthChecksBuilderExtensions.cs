using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Mtls.Extensions;
using Mtls.Extensions.Infrastructure;
using Mtls.Extensions.Internal;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Health checks for every mutual TLS certificate and trust bundle.</summary>
public static class MtlsHealthChecksBuilderExtensions
{
    /// <summary>
    /// Adds a check per certificate source and per trust source that <c>AddMutualTls</c> and <c>AddMtlsHttpClient</c>
    /// declared (named <c>mtls:{source}:certificate</c> and <c>mtls:{source}:trust-bundle</c>, e.g.
    /// <c>mtls:server:certificate</c>, <c>mtls:client:inventory:trust-bundle</c>): Healthy; Degraded when the remaining
    /// lifetime is below <see cref="MtlsHealthCheckOptions.DegradedLifetimeFraction"/> or the last reload failed;
    /// Unhealthy when expired or never loaded. With CRL files (<c>TrustedCa:Crls</c>), the trust bundle's check also shows
    /// each CRL's issuer, age and next update, and is Degraded (with <c>Revocation:AllowStaleCrl</c>) or Unhealthy once a CRL
    /// is past <c>nextUpdate</c> plus <c>Revocation:CrlGracePeriod</c>.
    /// </summary>
    /// <param name="builder">The health checks builder.</param>
    /// <param name="configure">Adjusts thresholds and tags.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> is <see langword="null"/>.</exception>
    /// <remarks>Call it after the mTLS entry points, in any order: sources declared later are picked up too.</remarks>
    public static IHealthChecksBuilder AddMtlsCertificates(this IHealthChecksBuilder builder, Action<MtlsHealthCheckOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddMtlsCore();
        var options = new MtlsHealthCheckOptions();
        configure?.Invoke(options);
        builder.Services.AddSingleton<IConfigureOptions<HealthCheckServiceOptions>>(sp => new ConfigureOptions<HealthCheckServiceOptions>(o =>
        {
            foreach (var declaration in sp.GetServices<MtlsSourceDeclaration>())
            {
                foreach (var kind in (string[])["certificate", "trust-bundle"])
                {
                    var checkName = $"mtls:{declaration.Name}:{kind}";
                    if (o.Registrations.Any(r => r.Name == checkName))
                    {
                        continue;
                    }

                    o.Registrations.Add(new HealthCheckRegistration(
                        checkName,
                        s => new MtlsSourceHealthCheck(declaration.Name, kind, s.GetRequiredService<MtlsSourceRegistry>(), s.GetRequiredService<TimeProvider>(), options, includeCrls: true),
                        failureStatus: null,
                        tags: options.Tags));
                }
            }
        }));
        return builder;
    }
}
