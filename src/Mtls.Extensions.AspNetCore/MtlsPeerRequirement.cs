using System.Security.Claims;
using Microsoft.AspNetCore.Authorization;

namespace Mtls.Extensions.AspNetCore;

/// <summary>
/// Authorization requirement: the caller was authenticated by the <c>MutualTls</c> scheme and matches at least one
/// of the patterns (any authenticated mTLS peer when there are none).
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
    /// <value>Empty means any authenticated mTLS peer.</value>
    public IReadOnlyList<PeerIdentityPattern> Patterns { get; }

    /// <summary>Determines whether a principal authenticated by mutual TLS matches the requirement.</summary>
    /// <param name="principal">The principal.</param>
    /// <returns><see langword="true"/> on a match.</returns>
    public bool IsSatisfiedBy(ClaimsPrincipal principal)
    {
        ArgumentNullException.ThrowIfNull(principal);
        foreach (var identity in principal.Identities)
        {
            if (!identity.IsAuthenticated || !string.Equals(identity.AuthenticationType, MutualTlsDefaults.AuthenticationScheme, StringComparison.Ordinal))
            {
                continue;
            }

            if (Patterns.Count == 0)
            {
                return true;
            }

            foreach (var pattern in Patterns)
            {
                if (Matches(pattern, identity))
                {
                    return true;
                }
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
        if (requirement.IsSatisfiedBy(context.User))
        {
            context.Succeed(requirement);
        }

        return Task.CompletedTask;
    }

    private static bool Matches(PeerIdentityPattern pattern, ClaimsIdentity identity)
    {
        switch (pattern.Kind)
        {
            case PeerIdentityPatternKind.SpiffeId:
                return identity.HasClaim(MtlsClaimTypes.SpiffeId, pattern.Value);
            case PeerIdentityPatternKind.TrustDomain:
                return identity.HasClaim(MtlsClaimTypes.SpiffeTrustDomain, pattern.Value);
            case PeerIdentityPatternKind.SpiffeIdPathPrefix:
                var id = identity.FindFirst(MtlsClaimTypes.SpiffeId)?.Value;
                return id is not null && id.StartsWith(pattern.Value, StringComparison.Ordinal) && (id.Length == pattern.Value.Length || id[pattern.Value.Length] == '/');
            case PeerIdentityPatternKind.DnsName:
                foreach (var claim in identity.FindAll(ClaimTypes.Dns))
                {
                    if (PeerIdentityPattern.DnsMatches(claim.Value, pattern.Value))
                    {
                        return true;
                    }
                }

                return false;
            case PeerIdentityPatternKind.IpAddress:
                return identity.HasClaim(MtlsClaimTypes.IpAddress, pattern.Value);
            case PeerIdentityPatternKind.Subject:
                return identity.HasClaim(ClaimTypes.X500DistinguishedName, pattern.Value);
            default:
                return false;
        }
    }
}
