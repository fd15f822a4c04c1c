using Microsoft.Extensions.Primitives;

namespace Mtls.Extensions;

/// <summary>Provides the current pinned CA bundle and signals when it changes.</summary>
public interface ITrustBundleSource
{
    /// <summary>Gets the current bundle. One volatile read; safe on the handshake path.</summary>
    /// <value>Never <see langword="null"/>.</value>
    TrustBundle Current { get; }

    /// <summary>Gets a token that fires once, after <see cref="Current"/> has been replaced by different content.</summary>
    /// <returns>A change token.</returns>
    IChangeToken GetChangeToken();
}
