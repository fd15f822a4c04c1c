using System.Diagnostics.CodeAnalysis;

namespace Mtls.Extensions;

/// <summary>The verdict on a peer certificate: accepted with its identity, or rejected with a reason and a sentence.</summary>
public sealed class PeerValidationResult
{
    private string? _message;

    private PeerValidationResult(PeerRole role, PeerIdentity? identity, MtlsRejectionReason reason, string? message)
    {
        Role = role;
        Identity = identity;
        Reason = reason;
        // The sentence embeds names the peer chose: it reaches logs, exceptions and health data escaped and capped.
        _message = message is null ? null : PeerText.Escape(message, PeerText.MaxMessageLength);
    }

    /// <summary>Gets the role of the peer that was validated.</summary>
    /// <value>Client or server.</value>
    public PeerRole Role { get; }

    /// <summary>Gets a value indicating whether the certificate was accepted.</summary>
    /// <value><see langword="true"/> when <see cref="Reason"/> is <see cref="MtlsRejectionReason.None"/>.</value>
    [MemberNotNullWhen(true, nameof(Identity))]
    public bool IsValid => Reason == MtlsRejectionReason.None;

    /// <summary>Gets the peer's identity: always set when accepted, and when rejected after parsing.</summary>
    /// <value>The identity, or <see langword="null"/>.</value>
    public PeerIdentity? Identity { get; }

    /// <summary>Gets why the certificate was rejected.</summary>
    /// <value><see cref="MtlsRejectionReason.None"/> when accepted.</value>
    public MtlsRejectionReason Reason { get; }

    /// <summary>Gets one sentence naming the certificate (subject, SHA-256 thumbprint) and what failed.</summary>
    /// <value>Never <see langword="null"/>.</value>
    public string Message => _message ??= $"{Role} certificate {Describe(Identity!)} accepted.";

    /// <summary>Creates an accepted result.</summary>
    /// <param name="role">The peer's role.</param>
    /// <param name="identity">The peer's identity.</param>
    /// <returns>The result.</returns>
    public static PeerValidationResult Success(PeerRole role, PeerIdentity identity)
    {
        ArgumentNullException.ThrowIfNull(identity);
        // The success sentence is formatted only when someone reads it, not on every handshake.
        return new(role, identity, MtlsRejectionReason.None, null);
    }

    /// <summary>Creates a rejected result.</summary>
    /// <param name="role">The peer's role.</param>
    /// <param name="reason">The reason; not <see cref="MtlsRejectionReason.None"/>.</param>
    /// <param name="message">The sentence.</param>
    /// <param name="identity">The identity, when the certificate could be parsed.</param>
    /// <returns>The result.</returns>
    /// <exception cref="ArgumentException"><paramref name="reason"/> is <see cref="MtlsRejectionReason.None"/>.</exception>
    public static PeerValidationResult Failure(PeerRole role, MtlsRejectionReason reason, string message, PeerIdentity? identity = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(message);
        if (reason == MtlsRejectionReason.None)
        {
            throw new ArgumentException("A failure needs a reason.", nameof(reason));
        }

        return new(role, identity, reason, message);
    }

    /// <inheritdoc/>
    public override string ToString() => IsValid ? Message : $"{Reason}: {Message}";

    internal static string Describe(PeerIdentity identity) => $"{identity.Subject} (SHA-256 {identity.ThumbprintSha256[..16]}…)";
}
