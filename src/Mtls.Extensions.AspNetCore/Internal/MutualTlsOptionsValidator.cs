using Microsoft.Extensions.Options;

namespace Mtls.Extensions.AspNetCore.Internal;

/// <summary>
/// The DataAnnotations of <see cref="MutualTlsOptions"/> and of the options it holds (<see cref="MtlsEndpointOptions"/>'s
/// ranges, <c>[ValidateObjectMembers]</c> into Certificate, TrustedCa and Reload; AllowedPeers entries that parse), generated. Run by
/// <see cref="MutualTlsOptionsCustomValidator"/>, which names the configuration keys.
/// </summary>
[OptionsValidator]
internal sealed partial class MutualTlsOptionsValidator : IValidateOptions<MutualTlsOptions>
{
}
