using Microsoft.Extensions.Logging;

namespace Mtls.Extensions.Internal;

/// <summary>
/// Fires a source's change token: every callback runs even when one throws (a subscriber's bug must not turn a good
/// reload into a failed one), and the failure is logged. Callers fire outside their own locks: a callback may read the
/// source, reload it, or take locks of its own.
/// </summary>
internal static class ChangeSignal
{
    // Event ids continue Log.cs's 4xx rotation range; move them there when that file is next edited.
    private static readonly Action<ILogger, string, string, Exception?> ChangeCallbackFailed = LoggerMessage.Define<string, string>(
        LogLevel.Error, new EventId(EventIds.ChangeCallbackFailed, nameof(EventIds.ChangeCallbackFailed)), "A change callback of {Kind} {Name} threw; the new material is in place and other callbacks ran.");

    /// <summary>Puts a fresh token source in place and returns the one to fire.</summary>
    public static CancellationTokenSource Renew(ref CancellationTokenSource changes) =>
        Interlocked.Exchange(ref changes, new CancellationTokenSource());

    /// <summary>Fires a token source returned by <see cref="Renew"/> and disposes it.</summary>
    public static void Raise(CancellationTokenSource fired, ILogger logger, string kind, string name)
    {
        try
        {
            fired.Cancel();
        }
        catch (AggregateException ex)
        {
            ChangeCallbackFailed(logger, kind, name, ex);
        }
        finally
        {
            fired.Dispose();
        }
    }
}
