using Microsoft.AspNetCore.Authorization;
using Mtls.Extensions;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Endpoint conventions for mutual TLS authorization.</summary>
public static class MtlsEndpointConventionBuilderExtensions
{
    /// <summary>
    /// Requires a mutual TLS peer on the endpoint: one of the given identities (SPIFFE IDs, trust domains
    /// <c>spiffe://td</c>, path prefixes <c>spiffe://td/ns/*</c>, DNS names, IPs), or any authenticated peer when none are given.
    /// A caller without a certificate gets 401; an authenticated caller that does not match gets 403.
    /// </summary>
    /// <typeparam name="TBuilder">The builder type.</typeparam>
    /// <param name="builder">The endpoint builder.</param>
    /// <param name="allowedPeers">The allowed identities.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    /// <exception cref="FormatException">An identity is not a valid pattern.</exception>
    public static TBuilder RequireMtlsPeer<TBuilder>(this TBuilder builder, params string[] allowedPeers)
        where TBuilder : IEndpointConventionBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(allowedPeers);
        var patterns = allowedPeers.Select(PeerIdentityPattern.Parse).ToArray();
        var policy = new AuthorizationPolicyBuilder().RequireMtlsPeer(patterns).Build();
        return builder.RequireAuthorization(policy);
    }
}
