using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Mtls.Extensions.AspNetCore;
using Mtls.Extensions.AspNetCore.Internal;
using Mtls.Extensions.Infrastructure;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the mutual TLS server: Kestrel wiring, the <c>MutualTls</c> authentication scheme and authorization.</summary>
public static class MutualTlsServiceCollectionExtensions
{
    /// <summary>Adds mutual TLS configured from the <c>Mtls:Server</c> configuration section.</summary>
    /// <param name="services">The services.</param>
    /// <returns>The authentication builder, to add more schemes.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="services"/> is <see langword="null"/>.</exception>
    /// <remarks>See <see cref="AddMutualTls(IServiceCollection, Action{MutualTlsOptions}?, Action{MutualTlsAuthenticationOptions}?)"/> for every side effect.</remarks>
    public static AuthenticationBuilder AddMutualTls(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        MutualTlsConfigurationBinding.Add(
            services,
            sp => sp.GetService<IConfiguration>()?.GetSection(MutualTlsDefaults.ConfigurationSection),
            sp => sp.GetService<IConfiguration>());
        return services.AddMutualTls(configure: null);
    }

    /// <summary>Adds mutual TLS configured from a configuration section (keys as in <c>Mtls:Server</c>).</summary>
    /// <param name="services">The services.</param>
    /// <param name="section">The section.</param>
    /// <returns>The authentication builder.</returns>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    public static AuthenticationBuilder AddMutualTls(this IServiceCollection services, IConfiguration section)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(section);
        MutualTlsConfigurationBinding.Add(services, _ => section, root: null);
        return services.AddMutualTls(configure: null);
    }

    /// <summary>
    /// Adds mutual TLS: every HTTPS endpoint that uses Kestrel's HTTPS defaults (<c>--urls</c>, <c>ASPNETCORE_URLS</c>,
    /// Kestrel endpoint configuration, <c>UseHttps()</c>) serves the configured certificate with its intermediates and
    /// validates client certificates against the pinned CAs during the handshake; the <c>MutualTls</c> scheme reads that
    /// verdict per connection.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="configure">Configures the server options (applied after configuration binding).</param>
    /// <param name="configureAuthentication">Configures the authentication scheme (events, claims issuer).</param>
    /// <returns>The authentication builder.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="services"/> is <see langword="null"/>.</exception>
    /// <remarks>
    /// Side effects: registers the core services (<c>AddMtlsCore</c>: <see cref="TimeProvider"/>, metrics, sources, validator);
    /// validates <see cref="MutualTlsOptions"/> on start (a bad key or file stops start-up with a message naming it);
    /// adds an <see cref="IConfigureOptions{KestrelServerOptions}"/> that sets Kestrel's HTTPS defaults
    /// (<c>ConfigureHttpsDefaults</c>: a later call to it by the app replaces ours; use <c>listenOptions.UseMutualTls()</c>
    /// for explicit endpoints); adds authentication with the <c>MutualTls</c> scheme (never setting the default scheme) and
    /// authorization services; adds a connection middleware to every endpoint (<c>ConfigureEndpointDefaults</c>) that counts
    /// and logs handshakes that failed before the client certificate was judged; fails start-up when every endpoint is plain
    /// http:// (unless <see cref="MutualTlsOptions.AllowPlainHttpEndpoints"/>), when an HTTPS endpoint lost the wiring to a later
    /// <c>ConfigureHttpsDefaults</c> call or allows a protocol below TLS 1.2, and when the official <c>AddCertificate()</c> scheme is
    /// registered without <c>AddCertificateCompatibility()</c>; adds a first request-pipeline step (<c>IStartupFilter</c>) that
    /// removes client-certificate forwarding headers from every source not listed in <see cref="MutualTlsOptions.Forwarding"/>
    /// and judges certificates forwarded by the listed proxies. Idempotent.
    /// </remarks>
    public static AuthenticationBuilder AddMutualTls(this IServiceCollection services, Action<MutualTlsOptions>? configure, Action<MutualTlsAuthenticationOptions>? configureAuthentication = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddMtlsCore();
        var options = services.AddOptions<MutualTlsOptions>();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        options.ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<MutualTlsOptions>, MutualTlsOptionsCustomValidator>());
        services.TryAddSingleton<MutualTlsServer>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IConfigureOptions<KestrelServerOptions>, ConfigureKestrelForMutualTls>());
        services.TryAddSingleton<HandshakeFailureObserver>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<Microsoft.Extensions.Hosting.IHostedService, PlainHttpEndpointCheck>());
        services.TryAddSingleton<Mtls.Extensions.AspNetCore.Internal.Forwarding.ForwardingMetrics>();
        services.TryAddSingleton<Mtls.Extensions.AspNetCore.Internal.Forwarding.ForwardedCertificateGate>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<Microsoft.AspNetCore.Hosting.IStartupFilter, Mtls.Extensions.AspNetCore.Internal.Forwarding.ForwardingStartupFilter>());
        services.TryAddSingleton<HttpsEndpointCheck>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<Microsoft.Extensions.Hosting.IHostedService, HttpsEndpointCheck>(sp => sp.GetRequiredService<HttpsEndpointCheck>()));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<Microsoft.Extensions.Hosting.IHostedService, OfficialCertificateSchemeCheck>());
        services.AddAuthorization();
        MtlsSourceRegistry.Declare(services, "server");

        var authentication = services.AddAuthentication();
        var registered = services.Any(d => d.ServiceType == typeof(MutualTlsSchemeMarker));
        if (!registered)
        {
            services.AddSingleton<MutualTlsSchemeMarker>();
            authentication.AddScheme<MutualTlsAuthenticationOptions, MutualTlsAuthenticationHandler>(MutualTlsDefaults.AuthenticationScheme, "Mutual TLS", configureAuthentication);
        }
        else if (configureAuthentication is not null)
        {
            services.Configure(MutualTlsDefaults.AuthenticationScheme, configureAuthentication);
        }

        return authentication;
    }

    /// <summary>Adds mutual TLS to a web application, configured from <c>Mtls:Server</c> and then <paramref name="configure"/>.</summary>
    /// <param name="builder">The web application builder.</param>
    /// <param name="configure">Configures the server options.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> is <see langword="null"/>.</exception>
    public static WebApplicationBuilder AddMutualTls(this WebApplicationBuilder builder, Action<MutualTlsOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var configuration = builder.Configuration;
        MutualTlsConfigurationBinding.Add(builder.Services, _ => configuration.GetSection(MutualTlsDefaults.ConfigurationSection), _ => configuration);
        builder.Services.AddMutualTls(configure);
        return builder;
    }

    private sealed class MutualTlsSchemeMarker;
}
