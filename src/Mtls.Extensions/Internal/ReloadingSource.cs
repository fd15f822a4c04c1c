using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Primitives;

namespace Mtls.Extensions.Internal;

/// <summary>
/// Holds the current value of a file-backed source and replaces it when the files change. The folders are
/// watched (not the files: editors, Kubernetes' <c>..data</c> symlink swap and spiffe-helper all replace
/// files), symlink targets' folders too; bursts are debounced; polling covers lost events. A read that fails
/// (a torn write: cert and key that do not match yet, a half-written file) is retried, and a reload that
/// keeps failing leaves the last good value in place. The change token fires only when content changed.
/// </summary>
internal abstract class ReloadingSource<T> : IReloadingSource, IDisposable
    where T : class
{
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

    /// <summary>Gets the folders watched right now (for tests: bounded across rotations).</summary>
    public IReadOnlyCollection<string> WatchedFolders
    {
        get
        {
            lock (_watchLock)
            {
                return _watchers.Keys.ToList();
            }
        }
    }

    protected ILogger Logger { get; }

    protected MtlsMetrics? Metrics { get; }

    protected T CurrentValue => Volatile.Read(ref _current);

    public IChangeToken GetChangeToken() => new CancellationChangeToken(Volatile.Read(ref _changes).Token);

    /// <summary>Reads the files now (used by polling, events and tests). Returns whether the value changed.</summary>
    public bool ReloadNow()
    {
        lock (_reloadLock)
        {
            if (_disposed)
            {
                return false;
            }

            T next;
            try
            {
                next = _load();
            }
            catch (Exception ex) when (ex is CertificateLoadException or IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException)
            {
                if (_attempt < _reload.MaxRetries)
                {
                    _attempt++;
                    OnRetry(_attempt, _reload.RetryDelay, ex);
                    ScheduleReload(_reload.RetryDelay);
                    return false;
                }

                _attempt = 0;
                LastFailure = _time.GetUtcNow();
                LastError = ex;
                Log.ReloadFailed(Logger, ex, Kind, Name, DescribeCurrent(_current));
                Metrics?.Reloaded(Kind, succeeded: false);
                return false;
            }

            _attempt = 0;
            LastSuccess = _time.GetUtcNow();
            LastError = null;
            LastFailure = null;
            if (SameContent(_current, next))
            {
                Log.ReloadUnchanged(Logger, Kind, Name);
                return false;
            }

            Volatile.Write(ref _current, next);
            Lifetimes = Describe(next);
            Interlocked.Increment(ref _version);
            OnReloaded(next);
            Metrics?.Reloaded(Kind, succeeded: true);
            if (_reload.Watch)
            {
                UpdateWatchers();
            }

            var previous = Interlocked.Exchange(ref _changes, new CancellationTokenSource());
            previous.Cancel();
            previous.Dispose();
            return true;
        }
    }

    public void Dispose()
    {
        lock (_reloadLock)
        {
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
    }

    protected abstract bool SameContent(T current, T next);

    protected abstract IReadOnlyList<CertificateLifetime> Describe(T value);

    protected abstract string DescribeCurrent(T value);

    protected abstract void OnReloaded(T value);

    protected virtual void OnRetry(int attempt, TimeSpan delay, Exception error) => Log.ReloadTornWrite(Logger, Name, attempt, delay);

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

    private void OnFileEvent(object sender, FileSystemEventArgs e) => ScheduleReload(_reload.DebounceDelay);

    private void OnWatcherError(object sender, ErrorEventArgs e) => ScheduleReload(_reload.DebounceDelay);

    private void UpdateWatchers()
    {
        var folders = new HashSet<string>(StringComparer.Ordinal);
        foreach (var file in _watchedFiles())
        {
            AddFolder(folders, Path.GetDirectoryName(file));
            try
            {
                // Follow symlinks (Kubernetes: tls.crt -> ..data/tls.crt, ..data -> ..2024_01_01...): watch where the bytes live too.
                var target = new FileInfo(file).ResolveLinkTarget(returnFinalTarget: true);
                if (target is not null)
                {
                    AddFolder(folders, Path.GetDirectoryName(target.FullName));
                }
            }
            catch (IOException)
            {
                // A dangling link mid-swap; the next reload resolves it again.
            }
        }

        lock (_watchLock)
        {
            if (_disposed)
            {
                return;
            }

            // Folders no longer involved (the previous ..2026_… data folder of a Kubernetes volume) stop being watched.
            foreach (var stale in _watchers.Keys.Where(k => !folders.Contains(k)).ToList())
            {
                _watchers[stale].Dispose();
                _watchers.Remove(stale);
            }

            foreach (var folder in folders)
            {
                if (_watchers.ContainsKey(folder) || !Directory.Exists(folder))
                {
                    continue;
                }

                var watcher = new FileSystemWatcher(folder)
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
                _watchers.Add(folder, watcher);
            }
        }

        static void AddFolder(HashSet<string> folders, string? folder)
        {
            if (!string.IsNullOrEmpty(folder))
            {
                folders.Add(folder);
            }
        }
    }
}
