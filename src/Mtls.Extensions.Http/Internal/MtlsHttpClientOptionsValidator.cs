using Microsoft.Extensions.Options;

namespace Mtls.Extensions.Http.Internal;

/// <summary>
/// The DataAnnotations of <see cref="MtlsHttpClientOptions"/> and of the options it holds (<see cref="MtlsEndpointOptions"/>'s
/// ranges, <c>[ValidateObjectMembers]</c> into Certificate, TrustedCa, Reload and Resilience; an https BaseAddress and
/// ExpectedServer entries that parse), generated. Run by
/// <see cref="MtlsHttpClientOptionsCustomValidator"/>, which names the configuration keys.
/// </summary>
[OptionsValidator]
internal sealed partial class MtlsHttpClientOptionsValidator : IValidateOptions<MtlsHttpClientOptions>
{
}
