using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Mtls.Extensions;
using Mtls.Extensions.Infrastructure;
using Mtls.Extensions.Internal;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the services every mTLS entry point shares.</summary>
public static class MtlsCoreServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="TimeProvider.System"/> (unless a <see cref="TimeProvider"/> is registered), metrics,
    /// the <see cref="MtlsSourceFactory"/> and the <see cref="PeerCertificateValidator"/>. Idempotent; called by
    /// <c>AddMutualTls</c> and <c>AddMtlsHttpClient</c>.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <returns>The same services, for chaining.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="services"/> is <see langword="null"/>.</exception>
    /// <remarks>Adds metrics (<c>AddMetrics</c>) and logging abstractions when absent; binds <see cref="MtlsLoggingOptions"/> from <c>Mtls:Logging</c> when an <c>IConfiguration</c> is registered (unknown keys are errors).</remarks>
    public static IServiceCollection AddMtlsCore(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddMetrics();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(sp => new MtlsSourceRegistry(sp.GetRequiredService<TimeProvider>(), sp.GetServices<MtlsSourceDeclaration>));
        services.TryAddSingleton(sp => new MtlsMetrics(
            sp.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(),
            sp.GetRequiredService<MtlsSourceRegistry>(),
            sp.GetRequiredService<TimeProvider>()));
        services.TryAddSingleton(sp => new MtlsSourceFactory(
            sp.GetRequiredService<TimeProvider>(),
            sp.GetService<ILoggerFactory>(),
            sp.GetRequiredService<MtlsSourceRegistry>(),
            sp.GetRequiredService<MtlsMetrics>(),
            sp.GetServices<ICertificateSourceProvider>()));
        services.AddOptions<MtlsLoggingOptions>().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IConfigureOptions<MtlsLoggingOptions>, BindMtlsLoggingOptions>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<MtlsLoggingOptions>, MtlsLoggingOptionsKeyedValidator>());
        services.TryAddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptionsMonitor<MtlsLoggingOptions>>();
            return new RejectionLogLimiter(
                sp.GetService<ILoggerFactory>()?.CreateLogger<PeerCertificateValidator>() ?? (ILogger)Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance,
                sp.GetRequiredService<TimeProvider>(),
                () => options.CurrentValue);
        });
        services.TryAddSingleton(sp => new PeerCertificateValidator(
            sp.GetRequiredService<TimeProvider>(),
            sp.GetService<ILoggerFactory>()?.CreateLogger<PeerCertificateValidator>(),
            sp.GetRequiredService<MtlsMetrics>(),
            sp.GetRequiredService<RejectionLogLimiter>()));
        return services;
    }
}
