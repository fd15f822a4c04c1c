using System.Diagnostics.CodeAnalysis;
using System.Net.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Http;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Mtls.Extensions.Http;
using Mtls.Extensions.Http.Internal;
using Mtls.Extensions.Infrastructure;
using Mtls.Extensions.Internal;
using Polly;
using Polly.Telemetry;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers HTTP clients that talk mutual TLS: a client certificate, a pinned-CA server check, rotation and mTLS-aware resilience.</summary>
public static class MtlsHttpClientServiceCollectionExtensions
{
    /// <summary>
    /// Adds a named <see cref="HttpClient"/> whose primary handler presents the client certificate (with its intermediates),
    /// trusts only the pinned CAs, checks the server's identity and replaces itself when the certificate or CA bundle rotates.
    /// Options come from the <c>Mtls:Clients:{name}</c> configuration section when an <see cref="IConfiguration"/> is
    /// registered, then from <paramref name="configure"/>.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="name">The client name (for <c>IHttpClientFactory.CreateClient(name)</c>, configuration, logs, metrics, health checks).</param>
    /// <param name="configure">Configures the options after configuration binding.</param>
    /// <returns>The HTTP client builder, to add handlers (they run inside the mTLS resilience pipeline).</returns>
    /// <exception cref="ArgumentNullException"><paramref name="services"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="name"/> is empty.</exception>
    /// <remarks>
    /// Side effects: registers the core services (<c>AddMtlsCore</c>); validates the options on start and loads the
    /// certificate when the host starts (a bad key or file stops start-up with a message naming it); adds a resilience
    /// handler named <see cref="MtlsHttpClientDefaults.ResiliencePipelineName"/> (a no-op when <c>Resilience:Enabled</c> is false);
    /// sets the client's <see cref="HttpClient.BaseAddress"/> from <c>BaseAddress</c>. Redirects and cookies are off.
    /// </remarks>
    public static IHttpClientBuilder AddMtlsHttpClient(this IServiceCollection services, string name, Action<MtlsHttpClientOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrEmpty(name);
        BindFromConfiguration(services, name, section: null);
        return Configure(services.AddHttpClient(name), configure);
    }

    /// <summary>Adds a named mTLS client configured from a configuration section (keys as in <c>Mtls:Clients:{name}</c>), then <paramref name="configure"/>.</summary>
    /// <param name="services">The services.</param>
    /// <param name="name">The client name.</param>
    /// <param name="section">The configuration section.</param>
    /// <param name="configure">Configures the options after binding.</param>
    /// <returns>The HTTP client builder.</returns>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    public static IHttpClientBuilder AddMtlsHttpClient(this IServiceCollection services, string name, IConfiguration section, Action<MtlsHttpClientOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(section);
        BindFromConfiguration(services, name, section);
        return Configure(services.AddHttpClient(name), configure);
    }

    /// <summary>Adds a typed mTLS client; its name is <paramref name="name"/> or, by default, the type's name (as <c>AddHttpClient&lt;TClient&gt;</c>).</summary>
    /// <typeparam name="TClient">The typed client; gets an <see cref="HttpClient"/> in its constructor.</typeparam>
    /// <param name="services">The services.</param>
    /// <param name="name">The client name; <see langword="null"/> for the type's name.</param>
    /// <param name="configure">Configures the options after configuration binding.</param>
    /// <returns>The HTTP client builder.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="services"/> is <see langword="null"/>.</exception>
    public static IHttpClientBuilder AddMtlsHttpClient<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] TClient>(this IServiceCollection services, string? name = null, Action<MtlsHttpClientOptions>? configure = null)
        where TClient : class
    {
        ArgumentNullException.ThrowIfNull(services);
        name ??= typeof(TClient).Name;
        BindFromConfiguration(services, name, section: null);
        return Configure(services.AddHttpClient<TClient>(name), configure);
    }

    /// <summary>Adds a typed mTLS client with an implementation type.</summary>
    /// <typeparam name="TClient">The service type.</typeparam>
    /// <typeparam name="TImplementation">The implementation; gets an <see cref="HttpClient"/> in its constructor.</typeparam>
    /// <param name="services">The services.</param>
    /// <param name="name">The client name; <see langword="null"/> for the service type's name.</param>
    /// <param name="configure">Configures the options after configuration binding.</param>
    /// <returns>The HTTP client builder.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="services"/> is <see langword="null"/>.</exception>
    public static IHttpClientBuilder AddMtlsHttpClient<TClient, [DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] TImplementation>(this IServiceCollection services, string? name = null, Action<MtlsHttpClientOptions>? configure = null)
        where TClient : class
        where TImplementation : class, TClient
    {
        ArgumentNullException.ThrowIfNull(services);
        name ??= typeof(TClient).Name;
        BindFromConfiguration(services, name, section: null);
        return Configure(services.AddHttpClient<TClient, TImplementation>(name), configure);
    }

    private static void BindFromConfiguration(IServiceCollection services, string name, IConfiguration? section)
    {
        services.AddSingleton<IConfigureOptions<MtlsHttpClientOptions>>(sp => new ConfigureNamedOptions<MtlsHttpClientOptions>(name, options =>
        {
            var root = section is null ? sp.GetService<IConfiguration>() : null;
            if (root is not null)
            {
                MtlsConfiguration.ThrowOnUnknownChildren(root);
            }

            var source = section ?? root?.GetSection(MtlsHttpClientDefaults.ConfigurationPath(name));
            var path = source is IConfigurationSection s ? s.Path : MtlsHttpClientDefaults.ConfigurationPath(name);
            options.ConfigurationPath = path;
            if (source is null || (source is IConfigurationSection existing && !existing.Exists()))
            {
                return;
            }

            // An explicitly empty value (Mtls__Clients__x__Certificate__Directory=) means "not set", for every key.
            var view = NonEmptyConfiguration.Wrap(source);
            try
            {
                view.Bind(options, b => b.ErrorOnUnknownConfiguration = true);
            }
            catch (InvalidOperationException e)
            {
                throw MtlsConfiguration.Describe(view, path, e);
            }
        }));
    }

    private static IHttpClientBuilder Configure(IHttpClientBuilder builder, Action<MtlsHttpClientOptions>? configure)
    {
        var services = builder.Services;
        var name = builder.Name;
        services.AddMtlsCore();
        var options = services.AddOptions<MtlsHttpClientOptions>(name);
        if (configure is not null)
        {
            options.Configure(configure);
        }

        options.ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<MtlsHttpClientOptions>, MtlsHttpClientOptionsCustomValidator>());
        services.TryAddSingleton<MtlsClientHandlerPools>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, MtlsHttpClientsWarmup>());
        if (!services.Any(d => d.ServiceType == typeof(MtlsHttpClientRegistration) && d.ImplementationInstance is MtlsHttpClientRegistration r && r.Name == name))
        {
            services.AddSingleton(new MtlsHttpClientRegistration(name));
        }

        MtlsSourceRegistry.Declare(services, MtlsClientHandlerPool.SourceName(name));

        builder.ConfigureHttpClient((sp, client) =>
        {
            var baseAddress = sp.GetRequiredService<IOptionsMonitor<MtlsHttpClientOptions>>().Get(name).BaseAddress;
            if (baseAddress is not null && client.BaseAddress is null)
            {
                client.BaseAddress = baseAddress;
            }
        });
        builder.ConfigurePrimaryHttpMessageHandler(sp => new MtlsPrimaryHandler(
            sp.GetRequiredService<MtlsClientHandlerPools>().Get(name),
            sp.GetService<ILoggerFactory>()?.CreateLogger("Mtls.Extensions.Http.MtlsHttpClient") ?? NullLogger.Instance));
        // One pipeline per client: if the app adds its own resilience handler to this client, ours steps aside (see
        // MtlsResilienceStepAside), and a standard handler it adds never retries a certificate rejection.
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHttpMessageHandlerBuilderFilter, MtlsResilienceStepAside>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IConfigureOptions<TelemetryOptions>, MtlsTelemetrySeverity>());
        if (!services.Any(d => d.ImplementationInstance is MtlsStandardResilienceGuard g && g.Name == name))
        {
            var guard = new MtlsStandardResilienceGuard(name);
            services.AddSingleton<IPostConfigureOptions<HttpStandardResilienceOptions>>(guard);
            services.AddSingleton<IPostConfigureOptions<HttpStandardHedgingResilienceOptions>>(guard);
        }

        builder.AddHttpMessageHandler(() => new MtlsResilienceMarker());
        builder.AddResilienceHandler(MtlsHttpClientDefaults.ResiliencePipelineName, (pipeline, context) =>
        {
            var resilience = context.ServiceProvider.GetRequiredService<IOptionsMonitor<MtlsHttpClientOptions>>().Get(name).Resilience;
            if (resilience.Enabled)
            {
                AddDefaultStrategies(pipeline, resilience);
            }
        });
        return builder;
    }

    private static void AddDefaultStrategies(ResiliencePipelineBuilder<HttpResponseMessage> pipeline, MtlsClientResilienceOptions options)
    {
        static ValueTask<bool> Transient(Outcome<HttpResponseMessage> outcome) => ValueTask.FromResult(MtlsResilience.IsTransient(outcome));

        pipeline.AddTimeout(options.TotalTimeout);
        if (options.MaxRetryAttempts > 0)
        {
            pipeline.AddRetry(new HttpRetryStrategyOptions
            {
                MaxRetryAttempts = options.MaxRetryAttempts,
                Delay = options.RetryBaseDelay,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                ShouldHandle = args => Transient(args.Outcome),
            });
        }

        if (options.CircuitBreakerFailureRatio > 0)
        {
            pipeline.AddCircuitBreaker(new HttpCircuitBreakerStrategyOptions
            {
                FailureRatio = options.CircuitBreakerFailureRatio,
                MinimumThroughput = options.CircuitBreakerMinimumThroughput,
                SamplingDuration = options.CircuitBreakerSamplingDuration,
                BreakDuration = options.CircuitBreakerBreakDuration,
                ShouldHandle = args => Transient(args.Outcome),
            });
        }

        pipeline.AddTimeout(options.AttemptTimeout);
    }
}
