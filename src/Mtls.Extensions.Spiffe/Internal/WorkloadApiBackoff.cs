using System.Security.Cryptography;

namespace Mtls.Extensions.Spiffe.Internal;

/// <summary>Exponential backoff with jitter (each delay is 50–100 % of the exponential step), reset by a good message.</summary>
internal sealed class WorkloadApiBackoff(TimeSpan initial, TimeSpan max)
{
    private int _attempt;

    public static TimeSpan DefaultInitial => TimeSpan.FromSeconds(1);

    public static TimeSpan DefaultMax => TimeSpan.FromSeconds(30);

    public TimeSpan Max => max;

    public TimeSpan Next()
    {
        var step = initial.TotalMilliseconds * Math.Pow(2, Math.Min(_attempt, 20));
        _attempt++;
        var capped = Math.Min(step, max.TotalMilliseconds);
        var jitter = 0.5 + (RandomNumberGenerator.GetInt32(0, 1001) / 2000.0);
        return TimeSpan.FromMilliseconds(capped * jitter);
    }

    public void Reset() => _attempt = 0;
}
