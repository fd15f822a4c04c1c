namespace Mtls.Extensions.Http.Internal;

/// <summary>
/// Every log event id of this package, in one place. Ids never change once shipped: 1xx loading, 2xx validation and
/// handshakes, 3xx authentication and identity, 4xx rotation, sessions and client handlers, 6xx SPIFFE.
/// </summary>
internal static class EventIds
{
    public const int ClientCreated = 451;
    public const int HandlerRecycled = 452;
    public const int HandlerDisposed = 453;
    public const int RejectedByServer = 454;
    public const int ServerCertificateExpired = 455;
    public const int ProtocolMismatch = 456;
    public const int ExpectedServer = 459;
}
