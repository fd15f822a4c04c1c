namespace Mtls.Extensions.AspNetCore.Internal.Forwarding;

/// <summary>
/// Rate limit of the header-removal log: the first <see cref="Burst"/> removals of a minute are logged, the rest are only
/// counted (the count goes into the next logged line). Counting in metrics is never limited.
/// </summary>
internal sealed class ForwardingLogLimiter(TimeProvider time)
{
    public const int Burst = 10;
    private static readonly TimeSpan Interval = TimeSpan.FromMinutes(1);

    private readonly Lock _gate = new();
    private DateTimeOffset _windowStart = DateTimeOffset.MinValue;
    private int _logged;
    private long _suppressed;

    /// <summary>Counts one event; returns whether to log it, and how many were not logged since the last logged one.</summary>
    public bool ShouldLog(out long suppressed)
    {
        lock (_gate)
        {
            var now = time.GetUtcNow();
            if (now - _windowStart >= Interval)
            {
                _windowStart = now;
                _logged = 0;
            }

            if (_logged < Burst)
            {
                _logged++;
                suppressed = _suppressed;
                _suppressed = 0;
                return true;
            }

            _suppressed++;
            suppressed = 0;
            return false;
        }
    }
}
