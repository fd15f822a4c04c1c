namespace Mtls.Extensions.AspNetCore;

/// <summary>Hooks of the <c>MutualTls</c> authentication handler, like the official certificate handler's.</summary>
public class MutualTlsEvents
{
    /// <summary>
    /// Gets or sets the hook called after a certificate was accepted: add or replace claims, or fail. Runs once per
    /// connection (on its first authenticated request); the outcome, principal included, is reused by the connection's
    /// later requests, so do not base decisions on the request here — use authorization policies for that.
    /// </summary>
    /// <value>The default does nothing.</value>
    public Func<CertificateValidatedContext, Task> OnCertificateValidated { get; set; } = static _ => Task.CompletedTask;

    /// <summary>Gets or sets the hook called when authentication fails (a rejected certificate reached a request in Allow mode, or a hook failed).</summary>
    /// <value>The default does nothing.</value>
    public Func<MutualTlsAuthenticationFailedContext, Task> OnAuthenticationFailed { get; set; } = static _ => Task.CompletedTask;

    /// <summary>Gets or sets the hook called before the 401 challenge is written; call <c>HandleResponse()</c> to write your own.</summary>
    /// <value>The default does nothing.</value>
    public Func<MutualTlsChallengeContext, Task> OnChallenge { get; set; } = static _ => Task.CompletedTask;

    /// <summary>Invokes <see cref="OnCertificateValidated"/>.</summary>
    /// <param name="context">The context.</param>
    /// <returns>A task.</returns>
    public virtual Task CertificateValidated(CertificateValidatedContext context) => OnCertificateValidated(context);

    /// <summary>Invokes <see cref="OnAuthenticationFailed"/>.</summary>
    /// <param name="context">The context.</param>
    /// <returns>A task.</returns>
    public virtual Task AuthenticationFailed(MutualTlsAuthenticationFailedContext context) => OnAuthenticationFailed(context);

    /// <summary>Invokes <see cref="OnChallenge"/>.</summary>
    /// <param name="context">The context.</param>
    /// <returns>A task.</returns>
    public virtual Task Challenge(MutualTlsChallengeContext context) => OnChallenge(context);
}
