using Microsoft.Extensions.Options;

namespace Mtls.Extensions.Http.Internal;

/// <summary>
/// Start-up checks of <see cref="MtlsHttpClientOptions"/>: the generated DataAnnotations checks
/// (<see cref="MtlsHttpClientOptionsValidator"/>) under the client's configuration path, then the rules no attribute can
/// state: a certificate source must be configured, trust must come from pinned CAs or the certificate's own bundle, the
/// base address must be https, every ExpectedServer entry must parse, and the resilience settings must fit together.
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
        if (options.BaseAddress is { } baseAddress && (!baseAddress.IsAbsoluteUri || baseAddress.Scheme != Uri.UriSchemeHttps))
        {
            builder.AddError($"{path}:BaseAddress: '{baseAddress}' is not an absolute https URI; mutual TLS needs https.");
        }

        if (!options.Certificate.IsConfigured)
        {
            builder.AddError($"{path}:Certificate: no client certificate is configured for the mTLS client '{name}'; set Path (and KeyPath), Pem, Directory (with Layout) or Store:Thumbprint.");
        }

        if (!options.TrustedCa.IsConfigured && !options.Certificate.ProvidesTrustBundle)
        {
            builder.AddError($"{path}:TrustedCa: no trusted CA is configured for the mTLS client '{name}'; set Path or Pem. Server certificates are only ever trusted through pinned CAs, never the operating system's store.");
        }

        var i = 0;
        foreach (var entry in MtlsHttpClientDefaults.SplitExpectedServer(options.ExpectedServer))
        {
            if (!PeerIdentityPattern.TryParse(entry, out _, out var error))
            {
                builder.AddError($"{path}:ExpectedServer: entry {i} '{entry}': {error}");
            }

            i++;
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
