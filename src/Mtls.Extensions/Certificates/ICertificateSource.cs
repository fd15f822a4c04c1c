using Microsoft.Extensions.Primitives;

namespace Mtls.Extensions;

/// <summary>Provides our current certificate material and signals when it changes.</summary>
public interface ICertificateSource
{
    /// <summary>Gets the current snapshot. One volatile read; safe on the handshake path.</summary>
    /// <value>Never <see langword="null"/>.</value>
    CertificateMaterial Current { get; }

    /// <summary>Gets a token that fires once, after <see cref="Current"/> has been replaced by different content.</summary>
    /// <returns>A change token.</returns>
    IChangeToken GetChangeToken();
}
