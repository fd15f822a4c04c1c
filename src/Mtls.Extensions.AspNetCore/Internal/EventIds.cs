namespace Mtls.Extensions.AspNetCore.Internal;

/// <summary>
/// Every log event id of this package, in one place. Ids never change once shipped: 1xx loading, 2xx validation and
/// handshakes (27x forwarded certificates), 3xx authentication and identity, 4xx rotation, sessions and client handlers, 6xx SPIFFE.
/// </summary>
internal static class EventIds
{
    public const int ServerConfigured = 251;
    public const int HandshakeFailed = 252;
    public const int OptionsReloadRejected = 253;
    public const int ForwardingHeadersRemoved = 271;
    public const int ForwardedCertificateMalformed = 272;
    public const int ForwardedCertificateMissing = 273;
    public const int AllowedPeers = 256;
    public const int AllowedPeersEmpty = 257;
    public const int NoCertificate = 301;
    public const int AuthenticationFailed = 302;
    public const int FallbackValidation = 303;
    public const int PeerForbidden = 304;
    public const int CompatibilityNoCertificate = 341;
    public const int CompatibilityRejected = 342;
    public const int CompatibilityFallbackValidation = 343;
}
