using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Mtls.Extensions.AspNetCore.Internal;

namespace Mtls.Extensions.AspNetCore;

/// <summary>
/// Authorization requirement: the request's connection presented a client certificate that the handshake accepted,
/// its <see cref="PeerIdentity"/> matches at least one of the patterns (any accepted peer when there are none), and
/// the <c>MutualTls</c> scheme authenticated the caller. The identity comes from the connection's
/// <see cref="IMtlsPeerFeature"/>, never from claims, which another authentication scheme could produce; the patterns
/// are the same <see cref="PeerIdentityPattern"/> matcher that enforces <c>AllowedPeers</c> and <c>ExpectedServer</c>.
/// </summary>
public sealed class MtlsPeerRequirement : AuthorizationHandler<MtlsPeerRequirement>, IAuthorizationRequirement
{
    /// <summary>Initializes a new instance of the <see cref="MtlsPeerRequirement"/> class.</summary>
    /// <param name="patterns">The allowed identities.</param>
    /// <exception cref="ArgumentNullException"><paramref name="patterns"/> is <see langword="null"/>.</exception>
    public MtlsPeerRequirement(IEnumerable<PeerIdentityPattern> patterns)
    {
        ArgumentNullException.ThrowIfNull(patterns);
        Patterns = patterns.ToArray();
    }

    /// <summary>Gets the allowed identities.</summary>
    /// <value>Empty means any accepted mTLS peer.</value>
    public IReadOnlyList<PeerIdentityPattern> Patterns { get; }

    /// <summary>Determines whether an accepted peer's identity matches the requirement.</summary>
    /// <param name="identity">The identity of the connection's peer.</param>
    /// <returns><see langword="true"/> on a match.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="identity"/> is <see langword="null"/>.</exception>
    public bool IsSatisfiedBy(PeerIdentity identity)
    {
        ArgumentNullException.ThrowIfNull(identity);
        if (Patterns.Count == 0)
        {
            return true;
        }

        foreach (var pattern in Patterns)
        {
            if (pattern.Matches(identity))
            {
                return true;
            }
        }

        return false;
    }

    /// <inheritdoc/>
    public override string ToString() => Patterns.Count == 0 ? "any mutual TLS peer" : "mutual TLS peer: " + string.Join(", ", Patterns);

    /// <inheritdoc/>
    protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, MtlsPeerRequirement requirement)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(requirement);
        var http = context.Resource as HttpContext;
        if (http is not null && MtlsPeerFeature.Find(http)?.Result is { IsValid: true } verdict && AuthenticatedByMutualTls(context))
        {
            if (requirement.IsSatisfiedBy(verdict.Identity))
            {
                context.Succeed(requirement);
            }
            else if (http.RequestServices?.GetService(typeof(ILoggerFactory)) is ILoggerFactory loggers)
            {
                // The 403 that follows names who was refused; everything the peer chose is escaped.
                Log.PeerForbidden(
                    loggers.CreateLogger<MtlsPeerRequirement>(),
                    PeerText.Escape(verdict.Identity.DisplayName),
                    verdict.Identity.ThumbprintSha256,
                    requirement.ToString(),
                    http.Request.Method,
                    PeerText.Escape(http.Request.Path.Value));
            }
        }

        return Task.CompletedTask;
    }

    // The scheme's events can still refuse an accepted certificate; the principal says whether they did.
    private static bool AuthenticatedByMutualTls(AuthorizationHandlerContext context)
    {
        foreach (var identity in context.User.Identities)
        {
            if (identity.IsAuthenticated && string.Equals(identity.AuthenticationType, MutualTlsDefaults.AuthenticationScheme, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }
}
