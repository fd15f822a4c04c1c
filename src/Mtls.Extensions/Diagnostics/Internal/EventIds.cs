namespace Mtls.Extensions.Internal;

/// <summary>
/// Every log event id of this package, in one place. Ids never change once shipped: 1xx loading, 2xx validation and
/// handshakes, 3xx authentication and identity, 4xx rotation, sessions and client handlers, 6xx SPIFFE.
/// </summary>
internal static class EventIds
{
    public const int CertificateLoaded = 101;
    public const int TrustBundleLoaded = 102;
    public const int KeyFileReadableByOthers = 103;
    public const int PeerRejected = 201;
    public const int PeerAccepted = 202;
    public const int PeerWithoutCertificate = 203;
    public const int RejectionsSuppressed = 204;
    public const int ReloadSucceeded = 401;
    public const int ReloadFailed = 402;
    public const int ReloadTornWrite = 403;
    public const int ReloadUnchanged = 404;
    public const int TrustBundleReloaded = 405;
    public const int WatchFailed = 406;
    public const int ChangeCallbackFailed = 407;
    public const int PeerConnectionClosing = 408;
    public const int RevocationLoaded = 104;
    public const int RevocationReloaded = 409;
}
