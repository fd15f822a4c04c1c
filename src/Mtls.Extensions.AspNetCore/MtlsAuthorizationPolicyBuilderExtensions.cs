using Microsoft.AspNetCore.Authorization;
using Mtls.Extensions;
using Mtls.Extensions.AspNetCore;

namespace Microsoft.AspNetCore.Authorization;

/// <summary>Authorization policies on the mutual TLS peer's identity. Each adds the <c>MutualTls</c> scheme to the policy.</summary>
public static class MtlsAuthorizationPolicyBuilderExtensions
{
    /// <summary>Requires one of the given SPIFFE IDs.</summary>
    /// <param name="builder">The policy builder.</param>
    /// <param name="spiffeIds">The allowed SPIFFE IDs.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    /// <exception cref="FormatException">An ID is not a valid SPIFFE ID.</exception>
    public static AuthorizationPolicyBuilder RequireSpiffeId(this AuthorizationPolicyBuilder builder, params string[] spiffeIds)
    {
        ArgumentNullException.ThrowIfNull(spiffeIds);
        return builder.RequireMtlsPeer(spiffeIds.Select(id => PeerIdentityPattern.ForSpiffeId(SpiffeId.Parse(id))));
    }

    /// <summary>Requires a SPIFFE ID in the given trust domain.</summary>
    /// <param name="builder">The policy builder.</param>
    /// <param name="trustDomain">The trust domain name or ID.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    /// <exception cref="FormatException">The trust domain is invalid.</exception>
    public static AuthorizationPolicyBuilder RequireTrustDomain(this AuthorizationPolicyBuilder builder, string trustDomain) =>
        builder.RequireMtlsPeer([PeerIdentityPattern.ForTrustDomain(trustDomain)]);

    /// <summary>Requires a SPIFFE ID equal to or below a path prefix, e.g. <c>spiffe://example.org/ns/prod</c>.</summary>
    /// <param name="builder">The policy builder.</param>
    /// <param name="prefix">The prefix.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    /// <exception cref="FormatException">The prefix is not a SPIFFE ID with a path.</exception>
    public static AuthorizationPolicyBuilder RequireSpiffeIdPathPrefix(this AuthorizationPolicyBuilder builder, string prefix) =>
        builder.RequireMtlsPeer([PeerIdentityPattern.ForSpiffeIdPathPrefix(prefix)]);

    /// <summary>Requires one of the given DNS names among the certificate's DNS SANs (never the CN).</summary>
    /// <param name="builder">The policy builder.</param>
    /// <param name="dnsNames">The names.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    public static AuthorizationPolicyBuilder RequireDnsName(this AuthorizationPolicyBuilder builder, params string[] dnsNames)
    {
        ArgumentNullException.ThrowIfNull(dnsNames);
        return builder.RequireMtlsPeer(dnsNames.Select(PeerIdentityPattern.ForDnsName));
    }

    /// <summary>Requires an exact certificate subject (as formatted by <c>X500DistinguishedName.Name</c>, e.g. <c>CN=orders, O=Example</c>).</summary>
    /// <param name="builder">The policy builder.</param>
    /// <param name="subject">The subject.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    public static AuthorizationPolicyBuilder RequireCertificateSubject(this AuthorizationPolicyBuilder builder, string subject) =>
        builder.RequireMtlsPeer([PeerIdentityPattern.ForSubject(subject)]);

    /// <summary>Requires a mutual TLS peer matching one of the patterns (any authenticated mTLS peer when empty).</summary>
    /// <param name="builder">The policy builder.</param>
    /// <param name="patterns">The patterns.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    public static AuthorizationPolicyBuilder RequireMtlsPeer(this AuthorizationPolicyBuilder builder, IEnumerable<PeerIdentityPattern> patterns)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(patterns);
        return builder
            .AddAuthenticationSchemes(MutualTlsDefaults.AuthenticationScheme)
            .RequireAuthenticatedUser()
            .AddRequirements(new MtlsPeerRequirement(patterns));
    }
}
