using Microsoft.Extensions.Options;

namespace Mtls.Extensions.AspNetCore.Internal;

/// <summary>
/// Start-up checks of <see cref="MutualTlsOptions"/>: the generated DataAnnotations checks (<see cref="MutualTlsOptionsValidator"/>)
/// under the configuration path, then the rules that compare fields: a certificate source must be configured (one of
/// Path, Pem, Directory, Store, WorkloadApi), and trust must come from pinned CAs or the certificate's own bundle. Every
/// message names the configuration key; all failures are reported together.
/// </summary>
internal sealed class MutualTlsOptionsCustomValidator : IValidateOptions<MutualTlsOptions>
{
    private readonly MutualTlsOptionsValidator _annotations = new();

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

        var forwarding = new List<string>();
        Forwarding.ForwardingProxyList.Build(path, options.Forwarding, forwarding);
        foreach (var error in forwarding)
        {
            builder.AddError(error);
        }

        builder.AddResult(_annotations.ValidateWithConfigurationKeys(path, options));
        return builder.Build();
    }
}
