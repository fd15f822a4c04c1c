namespace Mtls.Extensions.Spiffe.Internal;

/// <summary>
/// Every log event id of this package, in one place. Ids never change once shipped: 1xx loading, 2xx validation and
/// handshakes, 3xx authentication and identity, 4xx rotation, sessions and client handlers, 6xx SPIFFE.
/// </summary>
internal static class EventIds
{
    public const int WorkloadApiUpdate = 601;
    public const int WorkloadApiStreamFailed = 602;
    public const int WorkloadApiConfigurationError = 603;
    public const int WorkloadApiMessageDiscarded = 604;
    public const int WorkloadApiSvidRotated = 605;
    public const int WorkloadApiBundlesChanged = 606;
    public const int WorkloadApiHintMissing = 607;
    public const int WorkloadApiReconnected = 608;
}
