using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Mtls.Extensions;
using Mtls.Extensions.Infrastructure;
using Mtls.Extensions.Spiffe.Internal;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the SPIFFE Workload API as a certificate and trust bundle source.</summary>
public static class MtlsSpiffeServiceCollectionExtensions
{
    /// <summary>
    /// Lets <c>Certificate:WorkloadApi</c> (server and every client) take the X.509-SVID and the trust
    /// bundles from the SPIFFE Workload API. Idempotent; call it next to <c>AddMutualTls</c> or
    /// <c>AddMtlsHttpClient</c>, in any order.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <returns>The same services, for chaining.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="services"/> is <see langword="null"/>.</exception>
    /// <remarks>
    /// Registers the core services (<c>AddMtlsCore</c>) and an <see cref="ICertificateSourceProvider"/> singleton.
    /// Nothing connects until a source with <c>WorkloadApi</c> is created; then one gRPC stream per endpoint
    /// is held open for the lifetime of the service provider.
    /// </remarks>
    public static IServiceCollection AddMtlsSpiffe(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddMtlsCore();
        services.TryAddSingleton(sp => new WorkloadApiSourceProvider(
            sp.GetRequiredService<TimeProvider>(),
            sp.GetService<ILoggerFactory>(),
            sp.GetRequiredService<MtlsMetrics>()));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<ICertificateSourceProvider, WorkloadApiSourceProvider>(sp => sp.GetRequiredService<WorkloadApiSourceProvider>()));
        return services;
    }
}
