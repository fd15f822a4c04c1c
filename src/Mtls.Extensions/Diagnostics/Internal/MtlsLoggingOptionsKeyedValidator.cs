using Microsoft.Extensions.Options;

namespace Mtls.Extensions.Internal;

/// <summary>Checks <see cref="MtlsLoggingOptions"/> on start; messages name the configuration key (<c>Mtls:Logging:RejectionLogBurst</c>).</summary>
internal sealed class MtlsLoggingOptionsKeyedValidator : IValidateOptions<MtlsLoggingOptions>
{
    private readonly MtlsLoggingOptionsValidator _annotations = new();

    public ValidateOptionsResult Validate(string? name, MtlsLoggingOptions options) =>
        _annotations.ValidateWithConfigurationKeys(MtlsLoggingOptions.ConfigurationSection, options);
}
