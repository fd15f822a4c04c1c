using Microsoft.Extensions.Logging;

namespace Mtls.Extensions.Internal;

/// <summary>
/// Fires a source's change token: every callback runs even when one throws (a subscriber's bug must not turn a good
/// reload into a failed one), and the failure is logged. Callers fire outside their own locks: a callback may read the
/// source, reload it, or take locks of its own.
/// </summary>
internal static class ChangeSignal
{
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
            Log.ChangeCallbackFailed(logger, ex, kind, name);
        }
        finally
        {
            fired.Dispose();
        }
    }
}
