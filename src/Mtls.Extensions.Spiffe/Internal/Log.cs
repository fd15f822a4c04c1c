using Grpc.Core;
using Microsoft.Extensions.Logging;

namespace Mtls.Extensions.Spiffe.Internal;

/// <summary>
/// Log events of the SPIFFE package (6xx). Only identifiers are logged: SPIFFE IDs, thumbprints, trust
/// domains, status codes; text the Workload API sends is escaped and capped.
/// </summary>
internal static partial class Log
{
    [LoggerMessage(EventIds.WorkloadApiUpdate, LogLevel.Information, "Workload API {Address}: received {Context}.", EventName = nameof(EventIds.WorkloadApiUpdate))]
    public static partial void Update(ILogger logger, string address, string context);

    [LoggerMessage(EventIds.WorkloadApiStreamFailed, LogLevel.Warning, "Workload API {Address}: the stream ended ({Status}: {Detail}); reconnecting in {Delay}. The last good SVID and bundles stay in use.", EventName = nameof(EventIds.WorkloadApiStreamFailed))]
    public static partial void StreamFailed(ILogger logger, string address, StatusCode status, string detail, TimeSpan delay);

    [LoggerMessage(EventIds.WorkloadApiConfigurationError, LogLevel.Error, "Workload API {Address} answered {Status}: {Detail}. This is a configuration error (the client or the endpoint is wrong); not retrying.", EventName = nameof(EventIds.WorkloadApiConfigurationError))]
    public static partial void ConfigurationError(ILogger logger, string address, StatusCode status, string detail);

    [LoggerMessage(EventIds.WorkloadApiMessageDiscarded, LogLevel.Error, "Workload API {Address}: discarded a message: {Reason} The last good state stays in use.", EventName = nameof(EventIds.WorkloadApiMessageDiscarded))]
    public static partial void MessageDiscarded(ILogger logger, string address, string reason);

    [LoggerMessage(EventIds.WorkloadApiSvidRotated, LogLevel.Information, "Rotated SVID for {Name}: {SpiffeId} (SHA-256 {Thumbprint}), valid until {NotAfter}.", EventName = nameof(EventIds.WorkloadApiSvidRotated))]
    public static partial void SvidRotated(ILogger logger, string name, string spiffeId, string thumbprint, DateTimeOffset notAfter);

    [LoggerMessage(EventIds.WorkloadApiBundlesChanged, LogLevel.Information, "Trust bundles for {Name} changed: {Bundles}.", EventName = nameof(EventIds.WorkloadApiBundlesChanged))]
    public static partial void BundlesChanged(ILogger logger, string name, string bundles);

    [LoggerMessage(EventIds.WorkloadApiHintMissing, LogLevel.Error, "Workload API {Address}: the message has no SVID with hint '{Hint}' for {Name}; keeping the last good SVID.", EventName = nameof(EventIds.WorkloadApiHintMissing))]
    public static partial void HintMissing(ILogger logger, string address, string hint, string name);

    [LoggerMessage(EventIds.WorkloadApiReconnected, LogLevel.Information, "Workload API {Address}: the stream is open again after {Failures} failure(s).", EventName = nameof(EventIds.WorkloadApiReconnected))]
    public static partial void Reconnected(ILogger logger, string address, int failures);
}
