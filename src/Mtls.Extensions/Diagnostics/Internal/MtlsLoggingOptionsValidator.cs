using Microsoft.Extensions.Options;

namespace Mtls.Extensions.Internal;

/// <summary>The DataAnnotations of <see cref="MtlsLoggingOptions"/>, generated; run through <see cref="MtlsLoggingOptionsKeyedValidator"/>.</summary>
[OptionsValidator]
internal sealed partial class MtlsLoggingOptionsValidator : IValidateOptions<MtlsLoggingOptions>
{
}
