using Microsoft.Extensions.Options;

namespace Mtls.Extensions.AspNetCore.Internal;

/// <summary>Start-up checks of <see cref="MutualTlsOptions"/>; every message names the configuration key.</summary>
internal sealed class MutualTlsOptionsValidator : IValidateOptions<MutualTlsOptions>
{
    public ValidateOptionsResult Validate(string? name, MutualTlsOptions options)
    {
        var builder = new ValidateOptionsResultBuilder();
        var path = options.ConfigurationPath;
        if (!options.Certificate.IsConfigured)
        {
            builder.AddError($"{path}:Certificate: no server certificate is configured; set Path (and KeyPath), Pem, Directory (with Layout) or Store:Thumbprint.");
        }

        if (!options.TrustedCa.IsConfigured && string.IsNullOrWhiteSpace(options.Certificate.Directory))
        {
            builder.AddError($"{path}:TrustedCa: no trusted CA is configured; set Path or Pem. Client certificates are only ever trusted through pinned CAs, never the operating system's store.");
        }

        for (var i = 0; i < options.AllowedPeers.Count; i++)
        {
            if (!PeerIdentityPattern.TryParse(options.AllowedPeers[i], out _, out var error))
            {
                builder.AddError($"{path}:AllowedPeers:{i}: {error}");
            }
        }

        if (options.MaxChainDepth is < 1 or > 16)
        {
            builder.AddError($"{path}:MaxChainDepth: {options.MaxChainDepth} is out of range; use 1 to 16.");
        }

        ValidateReload(builder, $"{path}:Reload", options.Reload);
        return builder.Build();
    }

    internal static void ValidateReload(ValidateOptionsResultBuilder builder, string path, MtlsReloadOptions reload)
    {
        if (reload.PollInterval < TimeSpan.Zero || reload.PollInterval > TimeSpan.FromDays(1))
        {
            builder.AddError($"{path}:PollInterval: {reload.PollInterval} is out of range; use 00:00:00 (off) to 1.00:00:00.");
        }

        if (reload.DebounceDelay < TimeSpan.Zero || reload.DebounceDelay > TimeSpan.FromMinutes(1))
        {
            builder.AddError($"{path}:DebounceDelay: {reload.DebounceDelay} is out of range; use 00:00:00 to 00:01:00.");
        }

        if (reload.RetryDelay <= TimeSpan.Zero || reload.RetryDelay > TimeSpan.FromMinutes(1))
        {
            builder.AddError($"{path}:RetryDelay: {reload.RetryDelay} is out of range; use a positive delay up to 00:01:00.");
        }

        if (reload.MaxRetries is < 0 or > 100)
        {
            builder.AddError($"{path}:MaxRetries: {reload.MaxRetries} is out of range; use 0 to 100.");
        }
    }
}
