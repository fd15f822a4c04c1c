using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;

namespace Mtls.Extensions.AspNetCore;

/// <summary>Context of <see cref="MutualTlsEvents.OnChallenge"/>.</summary>
public sealed class MutualTlsChallengeContext : PropertiesContext<MutualTlsAuthenticationOptions>
{
    /// <summary>Initializes a new instance of the <see cref="MutualTlsChallengeContext"/> class.</summary>
    /// <param name="context">The HTTP context.</param>
    /// <param name="scheme">The scheme.</param>
    /// <param name="options">The options.</param>
    /// <param name="properties">The authentication properties.</param>
    public MutualTlsChallengeContext(HttpContext context, AuthenticationScheme scheme, MutualTlsAuthenticationOptions options, AuthenticationProperties? properties)
        : base(context, scheme, options, properties)
    {
    }

    /// <summary>Gets a value indicating whether the hook wrote the response itself.</summary>
    /// <value><see langword="true"/> after <see cref="HandleResponse"/>.</value>
    public bool Handled { get; private set; }

    /// <summary>Skips the default 401 response.</summary>
    public void HandleResponse() => Handled = true;
}
