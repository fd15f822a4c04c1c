using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Primitives;
using Mtls.Extensions.Infrastructure;

namespace Mtls.Extensions.Internal;

/// <summary>
/// Holds the current value of a file-backed source and replaces it when the files change. The folders are
/// watched (not the files: editors, Kubernetes' <c>..data</c> symlink swap and spiffe-helper all replace
/// files), symlink targets' folders too; bursts are debounced; polling covers lost events. A read that fails
/// (a torn write: cert and key that do not match yet, a half-written file) is retried, and a reload that
/// keeps failing leaves the last good value in place. The change token fires only when content changed.
/// </summary>
/// <remarks>
/// Watching is best effort: a folder that cannot be watched (inotify limits, permissions, a folder deleted
/// mid-swap) is logged and left to polling; it never stops a load or a change notification. Watchers of
/// folders no longer involved (a symlink repointed elsewhere) are disposed. Events keep postponing the read
/// by <see cref="MtlsReloadOptions.DebounceDelay"/>, but never past ten times that after the first one, so
/// a busy unrelated file in the folder cannot starve a rotation.
/// </remarks>
internal abstract class ReloadingSource<T> : IReloadingSource, IDisposable
    where T : class
{
    private const long NoPendingEvent = long.MinValue;
    private const int MaxDebounceFactor = 10;

    private readonly MtlsReloadOptions _reload;
    private readonly TimeProvider _time;
    private readonly Lock _reloadLock = new();
    private readonly Lock _watchLock = new();
    private readonly Dictionary<string, FileSystemWatcher> _watchers = new(StringComparer.Ordinal);
    private readonly ITimer _debounce;
    private readonly ITimer? _poll;
    private readonly Func<T> _load;
    private readonly Func<IEnumerable<string>> _watchedFiles;
    private T _current;
    private CancellationTokenSource _changes = new();
    private int _attempt;
    private long _version;
    private long _pendingSince = NoPendingEvent;
    private bool _disposed;

    protected ReloadingSource(string name, string kind, Func<T> load, Func<IEnumerable<string>> watchedFiles, MtlsReloadOptions reload, TimeProvider time, ILogger logger, MtlsMetrics? metrics)
    {
        _load = load;
        _watchedFiles = watchedFiles;
        Name = name;
        Kind = kind;
        _reload = reload;
        _time = time;
        Logger = logger;
        Metrics = metrics;

        // The first load throws: a service must not start without its material.
        _current = load();
        LastSuccess = time.GetUtcNow();
        Lifetimes = Describe(_current);
        _debounce = time.CreateTimer(static s => ((ReloadingSource<T>)s!).OnTimer(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        if (reload.PollInterval > TimeSpan.Zero)
        {
            _poll = time.CreateTimer(static s => ((ReloadingSource<T>)s!).ScheduleReload(TimeSpan.Zero), this, reload.PollInterval, reload.PollInterval);
        }

        if (reload.Watch)
        {
            UpdateWatchers();
        }
    }

    public string Name { get; }

    public string Kind { get; }

    public DateTimeOffset LastSuccess { get; private set; }

    public DateTimeOffset? LastFailure { get; private set; }

    public Exception? LastError { get; private set; }

    public IReadOnlyList<CertificateLifetime> Lifetimes { get; private set; }

    /// <summary>Gets how many times the value has been replaced.</summary>
    public long Version => Interlocked.Read(ref _version);

    /// <summary>Gets the watched folders (for tests).</summary>
    internal string[] WatchedFolders
    {
        get
        {
            lock (_watchLock)
            {
                return [.. _watchers.Keys];
            }
        }
    }

    protected ILogger Logger { get; }

    protected MtlsMetrics? Metrics { get; }

    protected T CurrentValue => Volatile.Read(ref _current);

    public IChangeToken GetChangeToken() => new CancellationChangeToken(Volatile.Read(ref _changes).Token);

    /// <summary>Reads the files now (used by polling, events and tests). Returns whether the value changed.</summary>
    /// <remarks>The value is replaced under the reload lock; the change token fires after the lock is released.</remarks>
    public bool ReloadNow()
    {
        CancellationTokenSource? fired;
        lock (_reloadLock)
        {
            if (_disposed || !TryRead(out var next))
            {
                return false;
            }

            RecordSuccess();
            fired = Publish(next);
        }

        if (fired is null)
        {
            return false;
        }

        ChangeSignal.Raise(fired, Logger, Kind, Name);
        if (_reload.Watch)
        {
            // After the notification: the new files may live in other folders (a repointed symlink).
            UpdateWatchers();
        }

        return true;
    }

    public void Dispose()
    {
        lock (_reloadLock)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
        }

        _debounce.Dispose();
        _poll?.Dispose();
        lock (_watchLock)
        {
            foreach (var watcher in _watchers.Values)
            {
                watcher.Dispose();
            }

            _watchers.Clear();
        }

        _changes.Dispose();
        OnDisposed(CurrentValue);
    }

    /// <summary>
    /// Compares a value just read with the current one. Returns <see langword="null"/> when nothing changed, else the
    /// value to publish (which may keep unchanged parts of <paramref name="current"/>). Disposes whatever of
    /// <paramref name="next"/> it does not return.
    /// </summary>
    protected abstract T? Reconcile(T current, T next);

    /// <summary>Runs under the reload lock after <paramref name="next"/> replaced <paramref name="previous"/>: logs, counts, and releases what <paramref name="next"/> no longer uses.</summary>
    protected abstract void OnReplaced(T previous, T next);

    protected abstract IReadOnlyList<CertificateLifetime> Describe(T value);

    protected abstract string DescribeCurrent(T value);

    /// <summary>Releases the current value when the source is disposed.</summary>
    protected virtual void OnDisposed(T current)
    {
    }

    protected virtual void OnRetry(int attempt, TimeSpan delay, Exception error) => Log.ReloadTornWrite(Logger, Name, attempt, delay);

    /// <summary>A reload that failed for good (retries exhausted): the last good value stays.</summary>
    protected virtual void OnReloadFailed(Exception error)
    {
        Log.ReloadFailed(Logger, error, Kind, Name, DescribeCurrent(_current));
        Metrics?.Reloaded(Name, Kind, succeeded: false);
    }

    /// <summary>Replaces the current value without a change notification (a part joining a shared source); runs under the reload lock.</summary>
    protected void Amend(Func<T, T> amend)
    {
        lock (_reloadLock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var amended = amend(_current);
            Volatile.Write(ref _current, amended);
            Lifetimes = Describe(amended);
        }

        if (_reload.Watch)
        {
            UpdateWatchers();
        }
    }

    private bool TryRead([NotNullWhen(true)] out T? next)
    {
        try
        {
            next = _load();
            return true;
        }
        catch (Exception ex) when (ex is CertificateLoadException or IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException)
        {
            next = null;
            OnReadFailed(ex);
            return false;
        }
    }

    private void OnReadFailed(Exception error)
    {
        // A torn write (key and certificate from different rotations, a half-written file) settles within moments.
        if (_attempt < _reload.MaxRetries)
        {
            _attempt++;
            OnRetry(_attempt, _reload.RetryDelay, error);
            ScheduleReload(_reload.RetryDelay);
            return;
        }

        _attempt = 0;
        LastFailure = _time.GetUtcNow();
        LastError = error;
        OnReloadFailed(error);
    }

    private void RecordSuccess()
    {
        _attempt = 0;
        LastSuccess = _time.GetUtcNow();
        LastError = null;
        LastFailure = null;
    }

    /// <summary>Puts a changed value in place; returns the token source to fire, or <see langword="null"/> when the content is the same.</summary>
    private CancellationTokenSource? Publish(T next)
    {
        var previous = _current;
        var published = Reconcile(previous, next);
        if (published is null)
        {
            Log.ReloadUnchanged(Logger, Kind, Name);
            return null;
        }

        Volatile.Write(ref _current, published);
        Lifetimes = Describe(published);
        Interlocked.Increment(ref _version);
        OnReplaced(previous, published);
        return ChangeSignal.Renew(ref _changes);
    }

    private void OnFileEvent(object sender, FileSystemEventArgs e) => OnChangeSignal();

    private void OnWatcherError(object sender, ErrorEventArgs e) => OnChangeSignal();

    private void ScheduleReload(TimeSpan delay)
    {
        try
        {
            _debounce.Change(delay, Timeout.InfiniteTimeSpan);
        }
        catch (ObjectDisposedException)
        {
            // Disposed while an event was in flight.
        }
    }

    private void OnTimer()
    {
        Interlocked.Exchange(ref _pendingSince, NoPendingEvent);
        try
        {
            ReloadNow();
        }
#pragma warning disable CA1031 // A timer callback must never throw; the failure is logged and the last good value kept.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            Log.ReloadFailed(Logger, ex, Kind, Name, DescribeCurrent(CurrentValue));
        }
    }

    /// <summary>What a file event does: schedule a debounced read (internal for tests of the debounce policy).</summary>
    internal void OnChangeSignal()
    {
        // Trailing debounce, capped: events keep postponing the read, but not past MaxDebounceFactor x the delay.
        var now = _time.GetTimestamp();
        var first = Interlocked.CompareExchange(ref _pendingSince, now, NoPendingEvent);
        var waited = first == NoPendingEvent ? TimeSpan.Zero : _time.GetElapsedTime(first, now);
        var left = (_reload.DebounceDelay * MaxDebounceFactor) - waited;
        ScheduleReload(left < _reload.DebounceDelay ? (left > TimeSpan.Zero ? left : TimeSpan.Zero) : _reload.DebounceDelay);
    }

    /// <summary>Watches the folders the files live in now, and stops watching folders they left.</summary>
    private void UpdateWatchers()
    {
        var folders = FoldersToWatch(out var resolved);
        lock (_watchLock)
        {
            if (_disposed)
            {
                return;
            }

            if (resolved)
            {
                // Only when every link resolved: mid-swap, a folder that looks stale may be current again a moment later.
                RemoveWatchersExcept(folders);
            }

            foreach (var folder in folders)
            {
                if (!_watchers.ContainsKey(folder) && Directory.Exists(folder) && TryWatch(folder) is { } watcher)
                {
                    _watchers.Add(folder, watcher);
                }
            }
        }
    }

    /// <summary>
    /// Which folders: the file's folder; where a file symlink leads (tls.crt -> ..data/tls.crt); where a folder symlink
    /// leads (..data -> ..2026_11_22_..., current -> v2), so that the watcher moves with it; and the folder holding each
    /// folder symlink on the way, because that is where a switch happens.
    /// </summary>
    private HashSet<string> FoldersToWatch(out bool resolved)
    {
        var folders = new HashSet<string>(StringComparer.Ordinal);
        resolved = true;
        foreach (var file in _watchedFiles())
        {
            try
            {
                AddFolderAndLinks(folders, Path.GetDirectoryName(file));
                var target = new FileInfo(file).ResolveLinkTarget(returnFinalTarget: true);
                if (target is not null)
                {
                    AddFolderAndLinks(folders, Path.GetDirectoryName(target.FullName));
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // A dangling link mid-swap, an unreadable link; the next reload resolves it again.
                resolved = false;
            }
        }

        return folders;
    }

    private static void AddFolderAndLinks(HashSet<string> folders, string? folder)
    {
        if (string.IsNullOrEmpty(folder))
        {
            return;
        }

        folders.Add(new DirectoryInfo(folder).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? folder);
        for (var ancestor = folder; !string.IsNullOrEmpty(ancestor); ancestor = Path.GetDirectoryName(ancestor))
        {
            if (new DirectoryInfo(ancestor).LinkTarget is not null && Path.GetDirectoryName(ancestor) is { Length: > 0 } parent)
            {
                folders.Add(parent);
            }
        }
    }

    /// <summary>Disposes the watchers of folders no longer involved (each holds an inotify instance); under the watch lock.</summary>
    private void RemoveWatchersExcept(HashSet<string> folders)
    {
        foreach (var stale in _watchers.Keys.Where(f => !folders.Contains(f)).ToList())
        {
            _watchers.Remove(stale, out var watcher);
            watcher!.Dispose();
        }
    }

    /// <summary>Starts a watcher on one folder; on failure logs and returns <see langword="null"/> (polling still covers it).</summary>
    private FileSystemWatcher? TryWatch(string folder)
    {
        FileSystemWatcher? watcher = null;
        try
        {
            watcher = new FileSystemWatcher(folder)
            {
                NotifyFilter = NotifyFilters.FileName | NotifyFilters.DirectoryName | NotifyFilters.LastWrite | NotifyFilters.Size | NotifyFilters.CreationTime | NotifyFilters.Attributes,
                IncludeSubdirectories = false,
            };
            watcher.Changed += OnFileEvent;
            watcher.Created += OnFileEvent;
            watcher.Deleted += OnFileEvent;
            watcher.Renamed += OnFileEvent;
            watcher.Error += OnWatcherError;
            watcher.EnableRaisingEvents = true;
            return watcher;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or PlatformNotSupportedException)
        {
            // The inotify instance limit (128 per user by default), a folder removed since the check, ...
            watcher?.Dispose();
            Log.WatchFailed(Logger, ex, folder, Kind, Name, _reload.PollInterval);
            return null;
        }
    }
}
