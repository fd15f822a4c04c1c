using System.Runtime.CompilerServices;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Authentication;

namespace Mtls.Extensions.AspNetCore.Internal;

/// <summary>
/// The <c>Certificate</c> compatibility scheme's per-connection outcome, keyed by the connection's client certificate
/// instance (one per connection; collected with it). Holds facts — the verdict it was computed from and a private copy
/// of the result — and hands every request its own copy, like the official <c>CertificateValidationCache</c>.
/// </summary>
internal sealed class CertificateCompatibilityCache
{
    private readonly ConditionalWeakTable<X509Certificate2, Entry> _entries = [];

    /// <summary>Gets a copy of the outcome computed on this connection, if it was computed from the same handshake verdict.</summary>
    /// <param name="certificate">The connection's client certificate.</param>
    /// <param name="scheme">The scheme name.</param>
    /// <param name="handshakeVerdict">The connection's handshake verdict now (<see langword="null"/> when the handshake was not wired).</param>
    public AuthenticateResult? Get(X509Certificate2 certificate, string scheme, PeerValidationResult? handshakeVerdict) =>
        _entries.TryGetValue(certificate, out var entry)
            && string.Equals(entry.Scheme, scheme, StringComparison.Ordinal)
            && ReferenceEquals(entry.HandshakeVerdict, handshakeVerdict)
            ? entry.Result.Clone()
            : null;

    public void Put(X509Certificate2 certificate, string scheme, PeerValidationResult? handshakeVerdict, AuthenticateResult result) =>
        _entries.AddOrUpdate(certificate, new Entry(scheme, handshakeVerdict, result.Clone()));

    private sealed record Entry(string Scheme, PeerValidationResult? HandshakeVerdict, AuthenticateResult Result);
}
