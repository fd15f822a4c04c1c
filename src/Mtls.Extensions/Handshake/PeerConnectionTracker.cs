using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Mtls.Extensions.Internal;

namespace Mtls.Extensions.Infrastructure;

/// <summary>
/// The open connections of accepted peers, so that a connection ends when its peer's trust does: when the trust bundle
/// or the allowed peers change, every connection is judged again (once per distinct peer certificate) and those whose
/// peer no longer qualifies are closed; and every connection is closed when its chain's earliest notAfter passes.
/// Closing is the caller's graceful close (Kestrel: <c>RequestClose()</c>); each connection is closed, logged and
/// counted once. Timers come from the <see cref="TimeProvider"/>.
/// </summary>
/// <remarks>Infrastructure for the sibling packages and for hosts that run their own SslStream.</remarks>
public sealed class PeerConnectionTracker : IDisposable
{
    // Timer due times are limited to about 49 days; a longer wait re-arms.
    private static readonly TimeSpan MaxDue = TimeSpan.FromDays(30);

    private readonly ConcurrentDictionary<long, Tracked> _connections = new();
    private readonly PeerRole _role;
    private readonly TimeProvider _time;
    private readonly MtlsMetrics? _metrics;
    private readonly ILogger _logger;
    private long _nextId;

    /// <summary>Initializes a tracker for the connections of peers of one role.</summary>
    /// <param name="role">The role of the tracked peers: <see cref="PeerRole.Client"/> on a server.</param>
    /// <param name="time">The clock whose timers end expired connections.</param>
    /// <param name="metrics">The instruments closed connections are counted on, or <see langword="null"/>.</param>
    /// <param name="logger">The logger of the connection-closing event.</param>
    /// <exception cref="ArgumentNullException"><paramref name="time"/> or <paramref name="logger"/> is <see langword="null"/>.</exception>
    public PeerConnectionTracker(PeerRole role, TimeProvider time, MtlsMetrics? metrics, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(logger);
        _role = role;
        _time = time;
        _metrics = metrics;
        _logger = logger;
    }

    /// <summary>Gets the number of tracked open connections.</summary>
    /// <value>The connections tracked and not yet closed or disposed.</value>
    public int Count => _connections.Count;

    /// <summary>Tracks an accepted connection until the returned registration is disposed (the connection closed).</summary>
    /// <param name="name">The connection's name for the log (an id).</param>
    /// <param name="verdict">The handshake's accepted verdict.</param>
    /// <param name="hostName">The host name the peer was judged for (client side), or <see langword="null"/>.</param>
    /// <param name="close">Closes the connection gracefully.</param>
    /// <returns>The registration; dispose it when the connection closes.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="verdict"/> or <paramref name="close"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="verdict"/> did not accept its peer.</exception>
    public IDisposable Track(string name, HandshakeVerdict verdict, string? hostName, Action close)
    {
        ArgumentNullException.ThrowIfNull(verdict);
        ArgumentNullException.ThrowIfNull(close);
        if (verdict.Chain is null || !verdict.Result.IsValid)
        {
            throw new ArgumentException("Only accepted connections are tracked.", nameof(verdict));
        }

        var tracked = new Tracked(this, Interlocked.Increment(ref _nextId), name, verdict.Chain, verdict.Result.Identity, hostName, close);
        _connections[tracked.Id] = tracked;
        tracked.ArmExpiry(verdict.ValidUntil);
        return tracked;
    }

    /// <summary>Judges every open connection against <paramref name="policy"/> now; closes those no longer accepted.</summary>
    /// <param name="policy">The policy of the trust and options now in force.</param>
    /// <returns>The number of connections closed.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="policy"/> is <see langword="null"/>.</exception>
    public int Revalidate(HandshakePolicy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        var verdicts = new Dictionary<(string, string?), PeerValidationResult>();
        var closed = 0;
        foreach (var tracked in _connections.Values)
        {
            var key = (tracked.Chain.LeafHash, tracked.HostName);
            if (!verdicts.TryGetValue(key, out var result))
            {
                result = policy.Revalidate(tracked.Chain, tracked.HostName);
                verdicts[key] = result;
            }

            if (result.IsValid)
            {
                tracked.ArmExpiry(policy.ValidUntil(tracked.Chain));
            }
            else if (tracked.Close(expired: false, result.Reason, result.Message))
            {
                closed++;
            }
        }

        return closed;
    }

    /// <summary>Stops tracking every connection (their expiry timers end); closes none.</summary>
    public void Dispose()
    {
        foreach (var tracked in _connections.Values)
        {
            tracked.Dispose();
        }
    }

    private sealed class Tracked(PeerConnectionTracker owner, long id, string name, PeerChain chain, PeerIdentity identity, string? hostName, Action close) : IDisposable
    {
        private ITimer? _timer;
        private DateTimeOffset _validUntil;
        private int _closed;

        public long Id { get; } = id;

        public PeerChain Chain { get; } = chain;

        public string? HostName { get; } = hostName;

        public void ArmExpiry(DateTimeOffset validUntil)
        {
            lock (this)
            {
                if (Volatile.Read(ref _closed) != 0)
                {
                    return;
                }

                _validUntil = validUntil;
                var due = validUntil - owner._time.GetUtcNow();
                if (due < TimeSpan.Zero)
                {
                    due = TimeSpan.Zero;
                }

                if (due > MaxDue)
                {
                    due = MaxDue;
                }

                if (_timer is null)
                {
                    _timer = owner._time.CreateTimer(static state => ((Tracked)state!).OnTimer(), this, due, Timeout.InfiniteTimeSpan);
                }
                else
                {
                    _timer.Change(due, Timeout.InfiniteTimeSpan);
                }
            }
        }

        public bool Close(bool expired, MtlsRejectionReason reason, string detail)
        {
            if (Interlocked.Exchange(ref _closed, 1) != 0)
            {
                return false;
            }

            Dispose();
            // Close first, then count and log: whoever sees the count (a test, a dashboard) sees a connection already closing.
            close();
            owner._metrics?.ConnectionClosed(owner._role, expired, reason);
            Log.PeerConnectionClosing(owner._logger, name, owner._role, PeerText.Escape(identity.DisplayName), identity.ThumbprintSha256, reason, PeerText.Escape(detail, PeerText.MaxMessageLength));
            return true;
        }

        public void Dispose()
        {
            owner._connections.TryRemove(Id, out _);
            lock (this)
            {
                _timer?.Dispose();
                _timer = null;
            }
        }

        private void OnTimer()
        {
            DateTimeOffset until;
            lock (this)
            {
                until = _validUntil;
            }

            if (owner._time.GetUtcNow() < until)
            {
                ArmExpiry(until);
                return;
            }

            // until is one second after the notAfter second (validation accepts that whole second).
            Close(expired: true, MtlsRejectionReason.Expired, $"the certificate chain of the peer expired at {until.AddSeconds(-1):u}; no connection outlives its peer's certificate.");
        }
    }
}
