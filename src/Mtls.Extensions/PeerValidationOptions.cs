namespace Mtls.Extensions;

/// <summary>How strictly peer certificates are judged, beyond chaining to a pinned CA.</summary>
public sealed class PeerValidationOptions
{
    /// <summary>Gets or sets a value indicating whether a leaf without any extended key usage is accepted.</summary>
    /// <value>The default is <see langword="false"/>: the leaf must carry clientAuth (client) or serverAuth (server).</value>
    public bool AllowMissingExtendedKeyUsage { get; set; }

    /// <summary>Gets or sets the maximum number of CA certificates in the verified path above the leaf, the anchor included.</summary>
    /// <value>The default is 4 (a root, or up to three intermediates under a pinned root).</value>
    public int MaxChainDepth { get; set; } = 4;

    /// <summary>Gets or sets the smallest RSA key accepted below the anchor, in bits.</summary>
    /// <value>The default is 2048.</value>
    public int MinimumRsaKeySize { get; set; } = 2048;

    /// <summary>Gets or sets a value indicating whether the peer must carry a SPIFFE ID (exactly one URI SAN, a valid SPIFFE ID).</summary>
    /// <value>The default is <see langword="false"/>; it is implied when <see cref="AllowedPeers"/> holds a SPIFFE pattern.</value>
    public bool RequireSpiffeId { get; set; }

    /// <summary>Gets the allowed peer identities. Empty means any peer that chains to a pinned CA.</summary>
    /// <value>The default is empty.</value>
    public IList<PeerIdentityPattern> AllowedPeers { get; } = [];

    internal bool SpiffeRequired
    {
        get
        {
            if (RequireSpiffeId)
            {
                return true;
            }

            foreach (var pattern in AllowedPeers)
            {
                if (pattern.Kind is PeerIdentityPatternKind.SpiffeId or PeerIdentityPatternKind.TrustDomain or PeerIdentityPatternKind.SpiffeIdPathPrefix)
                {
                    return true;
                }
            }

            return false;
        }
    }
}
