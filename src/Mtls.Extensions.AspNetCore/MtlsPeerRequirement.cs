using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Mtls.Extensions.AspNetCore.Internal;
using Mtls.Extensions.Infrastructure;

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
            else
            {
                Forbidden(http, verdict.Identity, requirement);
            }
        }

        return Task.CompletedTask;
    }

    // Every refusal is counted (by policy, never by peer); its log line is rate-limited with the handshake rejections
    // (reason IdentityNotAllowed), so that a peer with a valid certificate cannot flood the log at request rate.
    private static void Forbidden(HttpContext http, PeerIdentity identity, MtlsPeerRequirement requirement)
    {
        var services = http.RequestServices;
        if (services is null)
        {
            return;
        }

        (services.GetService(typeof(MtlsMetrics)) as MtlsMetrics)?.AuthorizationDenied(PolicyOf(http, requirement));
        if (services.GetService(typeof(ILoggerFactory)) is not ILoggerFactory loggers)
        {
            return;
        }

        var logger = loggers.CreateLogger<MtlsPeerRequirement>();
        var limiter = services.GetService(typeof(RejectionLogLimiter)) as RejectionLogLimiter;
        if (!logger.IsEnabled(LogLevel.Information) ||
            (limiter is not null && !limiter.ShouldLog(MtlsRejectionReason.IdentityNotAllowed, http.Connection.RemoteIpAddress?.ToString())))
        {
            return;
        }

        // The 403 that follows names who was refused; everything the peer chose is escaped.
        Log.PeerForbidden(
            logger,
            PeerText.Escape(identity.DisplayName),
            identity.ThumbprintSha256,
            requirement.ToString(),
            http.Request.Method,
            PeerText.Escape(http.Request.Path.Value));
    }

    // The endpoint's named policies; a policy built in place (RequireMtlsPeer on an endpoint) is named by what it allows,
    // which the application configured: low cardinality, nothing the peer chose.
    private static string PolicyOf(HttpContext http, MtlsPeerRequirement requirement)
    {
        string? names = null;
        if (http.GetEndpoint()?.Metadata is { } metadata)
        {
            foreach (var data in metadata.GetOrderedMetadata<IAuthorizeData>())
            {
                if (!string.IsNullOrEmpty(data.Policy))
                {
                    names = names is null ? data.Policy : names + "," + data.Policy;
                }
            }
        }

        return names ?? requirement.ToString();
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
