namespace Mtls.Extensions.Handshake;

/// <summary>
/// The options both sides map to peer validation: strictness and the allowed identities, each identity with the
/// configuration key it came from (so that one that does not parse is reported by its key).
/// </summary>
internal sealed record PeerPolicySettings(
    bool AllowMissingExtendedKeyUsage,
    int MaxChainDepth,
    bool RequireSpiffeId,
    IReadOnlyList<(string Key, string Value)> AllowedPeers);
