namespace Mtls.Extensions.Spiffe.Internal;

/// <summary>
/// go-spiffe's Workload API backoff (workloadapi/backoff.go, <c>linearBackoff</c>): 1 s, 2 s, 3 s, ... growing by the
/// initial delay per failed attempt up to 30 s, without jitter, reset by a good message. Linear rather than exponential
/// so that an agent back after a short outage is found within seconds, as go-spiffe users expect; an agent that comes
/// back after a long one is found at once through the watch on its socket's folder (<see cref="WorkloadApiClient"/>).
/// </summary>
internal sealed class WorkloadApiBackoff(TimeSpan initial, TimeSpan max)
{
    private int _attempt;

    public static TimeSpan DefaultInitial => TimeSpan.FromSeconds(1);

    public static TimeSpan DefaultMax => TimeSpan.FromSeconds(30);

    public TimeSpan Max => max;

    public TimeSpan Next()
    {
        var step = initial.TotalMilliseconds * (Math.Min(_attempt, 1_000_000) + 1);
        _attempt++;
        return TimeSpan.FromMilliseconds(Math.Min(step, max.TotalMilliseconds));
    }

    public void Reset() => _attempt = 0;
}
