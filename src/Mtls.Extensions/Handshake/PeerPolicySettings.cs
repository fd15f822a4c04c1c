namespace Mtls.Extensions.Infrastructure;

/// <summary>
/// The options both sides map to peer validation: strictness and the allowed identities, each identity with the
/// configuration key it came from (so that one that does not parse is reported by its key). The input of
/// <see cref="HandshakePolicy.BuildPeerOptions(PeerPolicySettings)"/>.
/// </summary>
/// <param name="AllowMissingExtendedKeyUsage">Whether a peer leaf without an extended key usage extension is accepted.</param>
/// <param name="MaxChainDepth">The most intermediates between the peer's leaf and a pinned anchor.</param>
/// <param name="RequireSpiffeId">Whether the peer must carry exactly one valid SPIFFE ID.</param>
/// <param name="AllowedPeers">The allowed identities as written in configuration, each with its configuration key (<c>Mtls:Server:AllowedPeers:0</c>).</param>
/// <remarks>Infrastructure for the sibling packages.</remarks>
public sealed record PeerPolicySettings(
    bool AllowMissingExtendedKeyUsage,
    int MaxChainDepth,
    bool RequireSpiffeId,
    IReadOnlyList<(string Key, string Value)> AllowedPeers)
{
    /// <summary>Gets the endpoint's <c>Validation</c> section: the profile and every relax option.</summary>
    /// <value>The default is <see langword="null"/>: the defaults apply.</value>
    public MtlsValidationOptions? Validation { get; init; }

    /// <summary>Gets the configuration section of the endpoint (<c>Mtls:Clients:inventory</c>), for the keys rejection sentences name.</summary>
    /// <value>The default is <see langword="null"/>: options are named by their property names.</value>
    public string? ConfigurationPath { get; init; }
}
