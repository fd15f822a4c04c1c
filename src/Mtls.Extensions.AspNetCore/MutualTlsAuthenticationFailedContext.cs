using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;

namespace Mtls.Extensions.AspNetCore;

/// <summary>Context of <see cref="MutualTlsEvents.OnAuthenticationFailed"/>.</summary>
public sealed class MutualTlsAuthenticationFailedContext : ResultContext<MutualTlsAuthenticationOptions>
{
    /// <summary>Initializes a new instance of the <see cref="MutualTlsAuthenticationFailedContext"/> class.</summary>
    /// <param name="context">The HTTP context.</param>
    /// <param name="scheme">The scheme.</param>
    /// <param name="options">The options.</param>
    /// <param name="exception">The failure.</param>
    /// <param name="validation">The handshake's verdict, when the failure came from it.</param>
    public MutualTlsAuthenticationFailedContext(HttpContext context, AuthenticationScheme scheme, MutualTlsAuthenticationOptions options, Exception exception, PeerValidationResult? validation)
        : base(context, scheme, options)
    {
        ArgumentNullException.ThrowIfNull(exception);
        Exception = exception;
        Validation = validation;
    }

    /// <summary>Gets the failure.</summary>
    /// <value>Never <see langword="null"/>.</value>
    public Exception Exception { get; }

    /// <summary>Gets the handshake's verdict, if any.</summary>
    /// <value>The verdict, or <see langword="null"/>.</value>
    public PeerValidationResult? Validation { get; }
}
