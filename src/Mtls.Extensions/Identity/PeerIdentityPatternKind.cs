namespace Mtls.Extensions;

/// <summary>What a <see cref="PeerIdentityPattern"/> matches on.</summary>
public enum PeerIdentityPatternKind
{
    /// <summary>An exact SPIFFE ID.</summary>
    SpiffeId,

    /// <summary>Every SPIFFE ID in a trust domain.</summary>
    TrustDomain,

    /// <summary>Every SPIFFE ID equal to or below a path prefix.</summary>
    SpiffeIdPathPrefix,

    /// <summary>A DNS subject alternative name.</summary>
    DnsName,

    /// <summary>An IP address subject alternative name.</summary>
    IpAddress,

    /// <summary>An exact subject distinguished name.</summary>
    Subject,
}
