using Microsoft.Extensions.Logging;

namespace Mtls.Extensions.Internal;

internal static partial class Log
{
    [LoggerMessage(EventIds.RevocationLoaded, LogLevel.Information, "Loaded revocation data for {Name}: {Description}.", EventName = nameof(EventIds.RevocationLoaded))]
    public static partial void RevocationLoaded(ILogger logger, string name, string description);

    [LoggerMessage(EventIds.RevocationReloaded, LogLevel.Information, "Reloaded revocation data for {Name}: {Description}.", EventName = nameof(EventIds.RevocationReloaded))]
    public static partial void RevocationReloaded(ILogger logger, string name, string description);
}
