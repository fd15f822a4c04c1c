using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;

namespace Mtls.Extensions.AspNetCore;

/// <summary>Context of <see cref="MutualTlsEvents.OnCertificateValidated"/>: the principal is set; replace it, add claims, or call <c>Fail</c>.</summary>
public sealed class CertificateValidatedContext : ResultContext<MutualTlsAuthenticationOptions>
{
    /// <summary>Initializes a new instance of the <see cref="CertificateValidatedContext"/> class.</summary>
    /// <param name="context">The HTTP context.</param>
    /// <param name="scheme">The scheme.</param>
    /// <param name="options">The options.</param>
    /// <param name="validation">The handshake's verdict.</param>
    public CertificateValidatedContext(HttpContext context, AuthenticationScheme scheme, MutualTlsAuthenticationOptions options, PeerValidationResult validation)
        : base(context, scheme, options)
    {
        ArgumentNullException.ThrowIfNull(validation);
        Validation = validation;
    }

    /// <summary>Gets the handshake's verdict (accepted).</summary>
    /// <value>Never <see langword="null"/>.</value>
    public PeerValidationResult Validation { get; }

    /// <summary>Gets the peer's identity.</summary>
    /// <value>Never <see langword="null"/>.</value>
    public PeerIdentity Identity => Validation.Identity!;
}
