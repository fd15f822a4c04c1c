using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Primitives;
using Mtls.Extensions.Infrastructure;

namespace Mtls.Extensions.Internal;

/// <summary>
/// One part (certificate or CA bundle) of a <see cref="ReloadingFolderSource"/> as a source of its own: its own change
/// token, version, lifetimes and health entry. The folder's notification reaches every part after the whole snapshot is
/// in place, so a subscriber woken by one part already reads the other part's new value.
/// </summary>
internal abstract class FolderPartSource<TPart> : IReloadingSource, IDisposable
    where TPart : class
{
    private readonly IDisposable _subscription;
    private readonly ILogger _logger;
    private TPart _seen;
    private CancellationTokenSource _changes = new();
    private long _version;

    protected FolderPartSource(ReloadingFolderSource folder, string kind, ILogger logger)
    {
        Folder = folder;
        Kind = kind;
        _logger = logger;
        _seen = CurrentPart;
        _subscription = ChangeToken.OnChange(folder.GetChangeToken, OnFolderChanged);
    }

    public string Name => Folder.Name;

    public string Kind { get; }

    public DateTimeOffset LastSuccess => Folder.LastSuccess;

    public DateTimeOffset? LastFailure => Folder.LastFailure;

    public Exception? LastError => Folder.LastError;

    public IReadOnlyList<CertificateLifetime> Lifetimes => Describe(CurrentPart);

    public long Version => Interlocked.Read(ref _version);

    /// <summary>Gets the watched folders (for tests).</summary>
    internal string[] WatchedFolders => Folder.WatchedFolders;

    protected ReloadingFolderSource Folder { get; }

    protected TPart CurrentPart => Part(Folder.Content) ?? throw new InvalidOperationException($"The {Kind} of '{Name}' is not attached to its folder.");

    public IChangeToken GetChangeToken() => new CancellationChangeToken(Volatile.Read(ref _changes).Token);

    public bool ReloadNow() => Folder.ReloadNow();

    public void Dispose()
    {
        _subscription.Dispose();
        _changes.Dispose();
    }

    protected abstract TPart? Part(FolderContent content);

    protected abstract IReadOnlyList<CertificateLifetime> Describe(TPart part);

    private void OnFolderChanged()
    {
        var now = CurrentPart;
        if (ReferenceEquals(Interlocked.Exchange(ref _seen, now), now))
        {
            return; // the other part changed
        }

        Interlocked.Increment(ref _version);
        ChangeSignal.Raise(ChangeSignal.Renew(ref _changes), _logger, Kind, Name);
    }
}
