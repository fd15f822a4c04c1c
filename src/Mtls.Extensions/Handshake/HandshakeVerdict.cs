namespace Mtls.Extensions.Handshake;

/// <summary>What one handshake decided about its peer.</summary>
/// <param name="Result">The verdict.</param>
/// <param name="Resumed">Whether the peer resumed a session (its handshake carried the leaf only and the chain of its full handshake was used).</param>
/// <param name="Chain">The peer's leaf and intermediates when accepted; what the connection is re-judged with when trust changes.</param>
/// <param name="ValidUntil">When accepted: the earliest notAfter of the leaf, its intermediates and the anchors; the connection ends then.</param>
internal sealed record HandshakeVerdict(PeerValidationResult Result, bool Resumed, PeerChain? Chain, DateTimeOffset ValidUntil);
