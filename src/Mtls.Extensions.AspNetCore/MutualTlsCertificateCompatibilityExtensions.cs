using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Certificate;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Mtls.Extensions.AspNetCore.Internal;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Lets an app written for <c>AddAuthentication().AddCertificate()</c> run on <c>AddMutualTls()</c> without rewriting its authorization.</summary>
public static class MutualTlsCertificateCompatibilityExtensions
{
    /// <summary>
    /// Answers for the official <c>Certificate</c> scheme (<see cref="CertificateAuthenticationDefaults.AuthenticationScheme"/>)
    /// from the verdict of the mutual TLS handshake.
    /// </summary>
    /// <param name="builder">The authentication builder returned by <c>AddMutualTls()</c>.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> is <see langword="null"/>.</exception>
    /// <exception cref="InvalidOperationException"><c>AddMutualTls()</c> was not called before.</exception>
    /// <remarks>See <see cref="AddCertificateCompatibility(AuthenticationBuilder, string, Action{CertificateAuthenticationOptions}?)"/> for every side effect.</remarks>
    public static AuthenticationBuilder AddCertificateCompatibility(this AuthenticationBuilder builder) =>
        builder.AddCertificateCompatibility(CertificateAuthenticationDefaults.AuthenticationScheme, configureOptions: null);

    /// <summary>
    /// Answers for the official <c>Certificate</c> scheme (<see cref="CertificateAuthenticationDefaults.AuthenticationScheme"/>)
    /// from the verdict of the mutual TLS handshake.
    /// </summary>
    /// <param name="builder">The authentication builder returned by <c>AddMutualTls()</c>.</param>
    /// <param name="configureOptions">Configures the scheme's options (events, allowed certificate types, claims issuer).</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> is <see langword="null"/>.</exception>
    /// <exception cref="InvalidOperationException"><c>AddMutualTls()</c> was not called before.</exception>
    /// <remarks>See <see cref="AddCertificateCompatibility(AuthenticationBuilder, string, Action{CertificateAuthenticationOptions}?)"/> for every side effect.</remarks>
    public static AuthenticationBuilder AddCertificateCompatibility(this AuthenticationBuilder builder, Action<CertificateAuthenticationOptions>? configureOptions) =>
        builder.AddCertificateCompatibility(CertificateAuthenticationDefaults.AuthenticationScheme, configureOptions);

    /// <summary>
    /// Answers for an official certificate scheme (by default <c>Certificate</c>) from the verdict of the mutual TLS handshake:
    /// the claims the official handler issues (same types, values and claims issuer), the official
    /// <see cref="CertificateAuthenticationEvents"/> (<c>OnCertificateValidated</c>, <c>OnAuthenticationFailed</c>,
    /// <c>OnChallenge</c>) and its 403 challenge. Trust is the pinned, rotating trust of <c>AddMutualTls()</c>, decided once
    /// per handshake with the intermediates the client sent: no chain is built per request.
    /// </summary>
    /// <param name="builder">The authentication builder returned by <c>AddMutualTls()</c>.</param>
    /// <param name="authenticationScheme">The scheme name the app's authorization names.</param>
    /// <param name="configureOptions">Configures the scheme's options (events, allowed certificate types, claims issuer).</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="authenticationScheme"/> is <see langword="null"/> or empty.</exception>
    /// <exception cref="InvalidOperationException"><c>AddMutualTls()</c> was not called before.</exception>
    /// <remarks>
    /// Side effects: when the app already registered the scheme with <c>AddCertificate()</c>, its handler is replaced by this
    /// one and the app's <see cref="CertificateAuthenticationOptions"/> configuration (events included) is kept; otherwise
    /// the scheme is added (never as the default scheme). The official options that build a chain
    /// (<c>ChainTrustValidationMode</c>, <c>CustomTrustStore</c>, <c>AdditionalChainCertificates</c>, <c>RevocationMode</c>,
    /// <c>RevocationFlag</c>, <c>ValidateCertificateUse</c>, <c>ValidateValidityPeriod</c>) are not used: the handshake
    /// already decided against <c>Mtls:Server:TrustedCa</c>. <c>AllowedCertificateTypes</c> is honoured. The outcome,
    /// events included, is computed once per connection; every request gets its own copy of the principal.
    /// An <c>AddCertificateCache()</c> registration is left in place and not used. Idempotent per scheme name.
    /// </remarks>
    public static AuthenticationBuilder AddCertificateCompatibility(this AuthenticationBuilder builder, string authenticationScheme, Action<CertificateAuthenticationOptions>? configureOptions)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrEmpty(authenticationScheme);
        var services = builder.Services;
        if (!services.Any(d => d.ServiceType == typeof(MutualTlsServer)))
        {
            throw new InvalidOperationException("AddCertificateCompatibility() answers from the mutual TLS handshake: call services.AddMutualTls() (or builder.AddMutualTls()) first.");
        }

        services.TryAddSingleton<CertificateCompatibilityCache>();
        services.TryAddTransient<CertificateCompatibilityHandler>();
        if (configureOptions is not null)
        {
            services.Configure(authenticationScheme, configureOptions);
        }

        if (services.Any(d => d.ServiceType == typeof(CertificateCompatibilityMarker) && Equals(d.ImplementationInstance, new CertificateCompatibilityMarker(authenticationScheme))))
        {
            return builder;
        }

        services.AddSingleton(new CertificateCompatibilityMarker(authenticationScheme));
        services.AddOptions<CertificateAuthenticationOptions>(authenticationScheme).Validate(o =>
        {
            o.Validate(authenticationScheme);
            return true;
        });

        // After every Configure: an AddCertificate() registration of the same name has added its scheme by then.
        services.PostConfigure<AuthenticationOptions>(o =>
        {
            var existing = o.Schemes.FirstOrDefault(s => string.Equals(s.Name, authenticationScheme, StringComparison.Ordinal));
            if (existing is not null)
            {
                existing.HandlerType = typeof(CertificateCompatibilityHandler);
            }
            else
            {
                o.AddScheme(authenticationScheme, s =>
                {
                    s.HandlerType = typeof(CertificateCompatibilityHandler);
                    s.DisplayName = "Certificate (mutual TLS handshake)";
                });
            }
        });
        return builder;
    }

    private sealed record CertificateCompatibilityMarker(string Scheme);
}
