namespace Mtls.Extensions;

/// <summary>The role of the peer whose certificate is being validated.</summary>
public enum PeerRole
{
    /// <summary>A client certificate, validated by a server; requires the clientAuth EKU.</summary>
    Client,

    /// <summary>A server certificate, validated by a client; requires the serverAuth EKU.</summary>
    Server,
}
