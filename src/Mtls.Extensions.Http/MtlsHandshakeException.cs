using System.Net.Http;

namespace Mtls.Extensions.Http;

/// <summary>
/// A request failed because a certificate was rejected during (or right after) the TLS handshake. Not transient:
/// the mTLS resilience pipeline never retries it, because the same certificates will be rejected again.
/// </summary>
public sealed class MtlsHandshakeException : HttpRequestException
{
    /// <summary>Initializes a new instance of the <see cref="MtlsHandshakeException"/> class.</summary>
    /// <param name="message">The sentence naming what failed and what was expected.</param>
    /// <param name="reason">The reason code.</param>
    /// <param name="rejectedBy">Which side rejected.</param>
    /// <param name="clientName">The logical client name.</param>
    /// <param name="requestUri">The request URI.</param>
    /// <param name="innerException">The transport exception.</param>
    /// <param name="validationResult">This client's verdict on the server certificate, when the client rejected it.</param>
    public MtlsHandshakeException(string message, MtlsRejectionReason reason, MtlsHandshakeSide rejectedBy, string clientName, Uri? requestUri, Exception? innerException = null, PeerValidationResult? validationResult = null)
        : base(HttpRequestError.SecureConnectionError, message, innerException)
    {
        Reason = reason;
        RejectedBy = rejectedBy;
        ClientName = clientName;
        RequestUri = requestUri;
        ValidationResult = validationResult;
    }

    /// <summary>Gets the reason code (e.g. <see cref="MtlsRejectionReason.UntrustedRoot"/>, or <see cref="MtlsRejectionReason.RejectedByPeer"/> when the server gave no specific reason).</summary>
    public MtlsRejectionReason Reason { get; }

    /// <summary>Gets which side rejected the other's certificate.</summary>
    public MtlsHandshakeSide RejectedBy { get; }

    /// <summary>Gets the logical client name.</summary>
    public string ClientName { get; }

    /// <summary>Gets the request URI.</summary>
    public Uri? RequestUri { get; }

    /// <summary>Gets this client's verdict on the server certificate when <see cref="RejectedBy"/> is <see cref="MtlsHandshakeSide.Client"/>; otherwise <see langword="null"/>.</summary>
    public PeerValidationResult? ValidationResult { get; }
}
