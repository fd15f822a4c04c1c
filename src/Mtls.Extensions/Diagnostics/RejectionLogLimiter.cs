using System.Net;
using Microsoft.Extensions.Logging;
using Mtls.Extensions.Internal;

namespace Mtls.Extensions.Infrastructure;

/// <summary>
/// Rate limit of rejection logging, per reason: the first <see cref="MtlsLoggingOptions.RejectionLogBurst"/> of an
/// interval are logged in full, the rest are counted (with their distinct remote addresses) and summed up in one
/// line when the interval ends. Counting in metrics is not this type's business and is never limited.
/// </summary>
/// <remarks>
/// Infrastructure for the sibling packages, whose rejections share the limit with the validator's; one instance per
/// service provider, registered by <see cref="Microsoft.Extensions.DependencyInjection.MtlsCoreServiceCollectionExtensions.AddMtlsCore"/>.
/// </remarks>
public sealed class RejectionLogLimiter
{
    private const int MaxTrackedAddresses = 10_000;

    [ThreadStatic]
    private static string? t_remoteAddress;

    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly Func<MtlsLoggingOptions> _options;
    private readonly Window?[] _windows = new Window?[Enum.GetValues<MtlsRejectionReason>().Length + 1];

    internal RejectionLogLimiter(ILogger logger, TimeProvider time, Func<MtlsLoggingOptions> options)
    {
        _logger = logger;
        _time = time;
        _options = options;
    }

    /// <summary>Gets the remote address of the handshake being judged on this thread, when the caller set one.</summary>
    internal static string? CurrentRemoteAddress => t_remoteAddress;

    /// <summary>Sets the remote address of the handshake judged on this thread (the validation callback is synchronous); returns the previous one.</summary>
    internal static string? SetRemoteAddress(string? address)
    {
        var previous = t_remoteAddress;
        t_remoteAddress = address;
        return previous;
    }

    /// <summary>Runs a validation with the remote address known to the rejection log (for its summaries).</summary>
    /// <typeparam name="T">The validation's result.</typeparam>
    /// <param name="address">The peer's remote address (see <see cref="Describe(EndPoint?)"/>), or <see langword="null"/>.</param>
    /// <param name="validate">The synchronous validation, for example a TLS certificate validation callback.</param>
    /// <returns>What <paramref name="validate"/> returned.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="validate"/> is <see langword="null"/>.</exception>
    public static T WithRemoteAddress<T>(string? address, Func<T> validate)
    {
        ArgumentNullException.ThrowIfNull(validate);
        var previous = SetRemoteAddress(address);
        try
        {
            return validate();
        }
        finally
        {
            SetRemoteAddress(previous);
        }
    }

    /// <summary>Describes a remote endpoint as the rejection log counts it: the IP address without the port, or the escaped endpoint.</summary>
    /// <param name="endPoint">The remote endpoint, or <see langword="null"/>.</param>
    /// <returns>The address, or <see langword="null"/> for <see langword="null"/>.</returns>
    public static string? Describe(EndPoint? endPoint) => endPoint switch
    {
        null => null,
        IPEndPoint ip => ip.Address.ToString(),
        _ => PeerText.Escape(endPoint.ToString(), 64),
    };

    /// <summary>Counts one rejection; returns whether it is to be logged in full.</summary>
    /// <param name="reason">The rejection's reason; each reason has its own limit.</param>
    /// <param name="remoteAddress">The peer's address for the summary, or <see langword="null"/> for the one set by <see cref="WithRemoteAddress"/>.</param>
    /// <returns><see langword="true"/> when the caller logs the rejection; otherwise it is counted in the next summary.</returns>
    public bool ShouldLog(MtlsRejectionReason reason, string? remoteAddress = null)
    {
        var index = (int)reason;
        if (index < 0 || index >= _windows.Length)
        {
            index = _windows.Length - 1;
        }

        var window = Volatile.Read(ref _windows[index]) ?? InitWindow(index, reason);
        var options = _options();
        return window.Count(_time.GetUtcNow(), options, remoteAddress ?? t_remoteAddress);
    }

    private Window InitWindow(int index, MtlsRejectionReason reason)
    {
        var created = new Window(this, reason);
        return Interlocked.CompareExchange(ref _windows[index], created, null) ?? created;
    }

    private sealed class Window(RejectionLogLimiter owner, MtlsRejectionReason reason)
    {
        private readonly Lock _gate = new();
        private readonly HashSet<string> _addresses = new(StringComparer.Ordinal);
        private DateTimeOffset _start = DateTimeOffset.MinValue;
        private TimeSpan _interval;
        private int _logged;
        private long _suppressed;
        private ITimer? _timer;

        public bool Count(DateTimeOffset now, MtlsLoggingOptions options, string? remoteAddress)
        {
            lock (_gate)
            {
                if (now - _start >= _interval || now < _start)
                {
                    FlushLocked();
                    _start = now;
                    _interval = options.RejectionLogInterval > TimeSpan.Zero ? options.RejectionLogInterval : TimeSpan.FromMinutes(1);
                    _logged = 0;
                }

                if (_logged < options.RejectionLogBurst)
                {
                    _logged++;
                    return true;
                }

                _suppressed++;
                if (remoteAddress is not null && _addresses.Count < MaxTrackedAddresses)
                {
                    _addresses.Add(remoteAddress);
                }

                if (_suppressed == 1)
                {
                    // The summary comes when the interval ends, even if the flood stopped.
                    _timer ??= owner._time.CreateTimer(static s => ((Window)s!).OnIntervalEnd(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
                    var due = _start + _interval - now;
                    _timer.Change(due > TimeSpan.Zero ? due : TimeSpan.Zero, Timeout.InfiniteTimeSpan);
                }

                return false;
            }
        }

        private void OnIntervalEnd()
        {
            lock (_gate)
            {
                FlushLocked();
            }
        }

        private void FlushLocked()
        {
            if (_suppressed == 0)
            {
                return;
            }

            var addresses = _addresses.Count >= MaxTrackedAddresses ? $"at least {MaxTrackedAddresses}" : _addresses.Count.ToString(System.Globalization.CultureInfo.InvariantCulture);
            Log.RejectionsSuppressed(owner._logger, _suppressed, reason, addresses, _interval);
            _suppressed = 0;
            _addresses.Clear();
        }
    }
}
