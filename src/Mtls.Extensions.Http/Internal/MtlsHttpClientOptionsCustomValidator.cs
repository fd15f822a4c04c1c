using Microsoft.Extensions.Options;

namespace Mtls.Extensions.Http.Internal;

/// <summary>
/// Start-up checks of <see cref="MtlsHttpClientOptions"/>: the generated DataAnnotations checks
/// (<see cref="MtlsHttpClientOptionsValidator"/>) under the client's configuration path, then the rules that compare
/// fields: a certificate source must be configured, trust must come from pinned CAs or the certificate's own bundle, and
/// the resilience settings must fit together (an attempt within the total, a breaker that can open and close).
/// Every message names the client's configuration key; all failures are reported together.
/// </summary>
internal sealed class MtlsHttpClientOptionsCustomValidator : IValidateOptions<MtlsHttpClientOptions>
{
    private readonly MtlsHttpClientOptionsValidator _annotations = new();

    public ValidateOptionsResult Validate(string? name, MtlsHttpClientOptions options)
    {
        name ??= Options.DefaultName;
        var builder = new ValidateOptionsResultBuilder();
        var path = string.IsNullOrEmpty(options.ConfigurationPath) ? MtlsHttpClientDefaults.ConfigurationPath(name) : options.ConfigurationPath;
        if (!options.Certificate.IsConfigured)
        {
            builder.AddError($"{path}:Certificate: no client certificate is configured for the mTLS client '{name}'; set Path (and KeyPath), Pem, Directory (with Layout) or Store:Thumbprint.");
        }

        if (!options.TrustedCa.IsConfigured && !options.Certificate.ProvidesTrustBundle)
        {
            builder.AddError($"{path}:TrustedCa: no trusted CA is configured for the mTLS client '{name}'; set Path or Pem. Server certificates are only ever trusted through pinned CAs, never the operating system's store.");
        }

        builder.AddResult(_annotations.ValidateWithConfigurationKeys(path, options));
        ValidateResilience(builder, $"{path}:Resilience", options.Resilience);
        return builder.Build();
    }

    /// <summary>The resilience rules that compare settings: the attempt fits in the call, and a breaker that is on can open and close.</summary>
    private static void ValidateResilience(ValidateOptionsResultBuilder builder, string r, MtlsClientResilienceOptions resilience)
    {
        if (resilience.AttemptTimeout > resilience.TotalTimeout)
        {
            builder.AddError($"{r}:AttemptTimeout: {resilience.AttemptTimeout} is longer than TotalTimeout {resilience.TotalTimeout}.");
        }

        if (resilience.CircuitBreakerFailureRatio <= 0)
        {
            return;
        }

        if (resilience.CircuitBreakerMinimumThroughput < 2)
        {
            builder.AddError($"{r}:CircuitBreakerMinimumThroughput: {resilience.CircuitBreakerMinimumThroughput} is too small; use 2 or more.");
        }

        if (resilience.CircuitBreakerSamplingDuration < TimeSpan.FromMilliseconds(500))
        {
            builder.AddError($"{r}:CircuitBreakerSamplingDuration: {resilience.CircuitBreakerSamplingDuration} is too short; use 00:00:00.5 or more.");
        }

        if (resilience.CircuitBreakerBreakDuration < TimeSpan.FromMilliseconds(500))
        {
            builder.AddError($"{r}:CircuitBreakerBreakDuration: {resilience.CircuitBreakerBreakDuration} is too short; use 00:00:00.5 or more.");
        }
    }
}
