namespace Mtls.Extensions.Infrastructure;

/// <summary>What one handshake decided about its peer; handed to the callback of <see cref="HandshakePolicy.CreateCallback(Action{object, HandshakeVerdict}, bool)"/>.</summary>
/// <remarks>Infrastructure for the sibling packages and for hosts that run their own SslStream.</remarks>
public sealed class HandshakeVerdict
{
    internal HandshakeVerdict(PeerValidationResult result, bool resumed, PeerChain? chain, DateTimeOffset validUntil)
    {
        Result = result;
        Resumed = resumed;
        Chain = chain;
        ValidUntil = validUntil;
    }

    /// <summary>Gets the verdict on the peer's certificate.</summary>
    /// <value>Accepted with the peer's identity, or rejected with a reason.</value>
    public PeerValidationResult Result { get; }

    /// <summary>Gets whether the peer resumed a session.</summary>
    /// <value><see langword="true"/> when the handshake carried the leaf only and the chain of its full handshake was judged.</value>
    public bool Resumed { get; }

    /// <summary>Gets when an accepted peer stops being valid.</summary>
    /// <value>When accepted: one second after the earliest notAfter of the leaf, its intermediates and the anchors, the first instant validation refuses the chain (a connection should end then); otherwise <see langword="default"/>.</value>
    public DateTimeOffset ValidUntil { get; }

    /// <summary>Gets the peer's leaf and intermediates when accepted: what the connection is judged again with when trust changes.</summary>
    internal PeerChain? Chain { get; }
}
