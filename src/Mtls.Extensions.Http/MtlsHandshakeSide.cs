namespace Mtls.Extensions.Http;

/// <summary>Which side of a mutual TLS handshake rejected the other's certificate.</summary>
public enum MtlsHandshakeSide
{
    /// <summary>This client rejected the server's certificate (untrusted CA, wrong identity, expired…).</summary>
    Client,

    /// <summary>The server rejected this client's certificate (it reported so with a TLS alert, or closed the connection right after the handshake).</summary>
    Server,
}
