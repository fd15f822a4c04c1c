using Microsoft.Extensions.Options;

namespace Mtls.Extensions.Internal;

/// <summary>Range checks of <see cref="MtlsLoggingOptions"/>; messages name the configuration key.</summary>
internal sealed class MtlsLoggingOptionsValidator : IValidateOptions<MtlsLoggingOptions>
{
    public ValidateOptionsResult Validate(string? name, MtlsLoggingOptions options)
    {
        var builder = new ValidateOptionsResultBuilder();
        var path = MtlsLoggingOptions.ConfigurationSection;
        if (options.RejectionLogBurst is < 0 or > 100_000)
        {
            builder.AddError($"{path}:RejectionLogBurst: {options.RejectionLogBurst} is out of range; use 0 (summaries only) to 100000.");
        }

        if (options.RejectionLogInterval < TimeSpan.FromSeconds(1) || options.RejectionLogInterval > TimeSpan.FromDays(1))
        {
            builder.AddError($"{path}:RejectionLogInterval: {options.RejectionLogInterval} is out of range; use 00:00:01 to 1.00:00:00.");
        }

        return builder.Build();
    }
}
