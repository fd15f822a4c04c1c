using Microsoft.Extensions.Options;

namespace Mtls.Extensions.Http.Internal;

/// <summary>Start-up checks of <see cref="MtlsHttpClientOptions"/>; every message names the client's configuration key.</summary>
internal sealed class MtlsHttpClientOptionsValidator : IValidateOptions<MtlsHttpClientOptions>
{
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

        if (options.MaxChainDepth is < 1 or > 16)
        {
            builder.AddError($"{path}:MaxChainDepth: {options.MaxChainDepth} is out of range; use 1 to 16.");
        }

        Positive(builder, $"{path}:ConnectTimeout", options.ConnectTimeout);
        Positive(builder, $"{path}:PooledConnectionIdleTimeout", options.PooledConnectionIdleTimeout);
        if (options.PooledConnectionLifetime != Timeout.InfiniteTimeSpan)
        {
            Positive(builder, $"{path}:PooledConnectionLifetime", options.PooledConnectionLifetime);
        }

        Mtls.Extensions.Internal.ReloadOptionsChecks.Validate(builder, $"{path}:Reload", options.Reload);
        Mtls.Extensions.Internal.FileSizeChecks.Validate(builder, path, options.Certificate, options.TrustedCa);

        var resilience = options.Resilience;
        var r = $"{path}:Resilience";
        if (resilience.MaxRetryAttempts is < 0 or > 100)
        {
            builder.AddError($"{r}:MaxRetryAttempts: {resilience.MaxRetryAttempts} is out of range; use 0 to 100.");
        }

        Positive(builder, $"{r}:RetryBaseDelay", resilience.RetryBaseDelay);
        Positive(builder, $"{r}:AttemptTimeout", resilience.AttemptTimeout);
        Positive(builder, $"{r}:TotalTimeout", resilience.TotalTimeout);
        if (resilience.AttemptTimeout > resilience.TotalTimeout)
        {
            builder.AddError($"{r}:AttemptTimeout: {resilience.AttemptTimeout} is longer than TotalTimeout {resilience.TotalTimeout}.");
        }

        if (resilience.CircuitBreakerFailureRatio is < 0 or > 1)
        {
            builder.AddError($"{r}:CircuitBreakerFailureRatio: {resilience.CircuitBreakerFailureRatio} is out of range; use 0 (off) to 1.");
        }

        if (resilience.CircuitBreakerFailureRatio > 0)
        {
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

        return builder.Build();
    }

    private static void Positive(ValidateOptionsResultBuilder builder, string key, TimeSpan value)
    {
        if (value <= TimeSpan.Zero)
        {
            builder.AddError($"{key}: {value} must be positive.");
        }
    }
}
