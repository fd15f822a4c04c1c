namespace Mtls.Extensions;

/// <summary>Whether TLS sessions may be resumed (TLS 1.3 tickets, TLS 1.2 session ids and tickets).</summary>
public enum MtlsResumption
{
    /// <summary>
    /// Sessions are resumed. A resumed session is accepted exactly when a full handshake with the same peer would be now:
    /// the peer's certificate and the intermediates it sent in its full handshake are judged against the current trust
    /// bundle, clock and allowed peers.
    /// </summary>
    Enabled,

    /// <summary>No session tickets or session ids are issued or used: every connection makes a full handshake.</summary>
    Disabled,
}
