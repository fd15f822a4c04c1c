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

        if (!options.TrustedCa.IsConfigured && !options.Certificate.ProvidesTrustBundle)
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

        Mtls.Extensions.Internal.ReloadOptionsChecks.Validate(builder, $"{path}:Reload", options.Reload);
        Mtls.Extensions.Internal.FileSizeChecks.Validate(builder, path, options.Certificate, options.TrustedCa);
        return builder.Build();
    }
}
