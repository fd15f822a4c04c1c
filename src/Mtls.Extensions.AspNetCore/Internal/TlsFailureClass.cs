namespace Mtls.Extensions.AspNetCore.Internal;

/// <summary>What kind of TLS failure ended a handshake before the client certificate was judged (the <c>mtls.tls.failure</c> tag).</summary>
internal enum TlsFailureClass
{
    /// <summary>A failure none of the others describes.</summary>
    Other,

    /// <summary>The peer closed the connection before the handshake finished, without a TLS alert (a TCP health check, or a client that gave up).</summary>
    Closed,

    /// <summary>The peer did not speak TLS (for example plain HTTP sent to the HTTPS port).</summary>
    NotTls,

    /// <summary>No protocol version in common (a TLS 1.0/1.1-only client).</summary>
    ProtocolVersion,

    /// <summary>No cipher suite, group or signature algorithm in common.</summary>
    NoSharedParameters,

    /// <summary>The client sent no certificate where the TLS stack required one.</summary>
    NoCertificate,

    /// <summary>The client's CertificateVerify signature does not verify: it does not hold the key of the certificate it sent.</summary>
    BadSignature,

    /// <summary>A handshake message or certificate that does not decode.</summary>
    DecodeError,

    /// <summary>A handshake message (usually the certificate chain) above the TLS stack's size limit.</summary>
    SizeLimit,

    /// <summary>The handshake did not finish within Kestrel's handshake timeout.</summary>
    Timeout,

    /// <summary>The client sent a TLS alert: it refused the handshake, usually because it does not trust this server's certificate.</summary>
    PeerAlert,
}
