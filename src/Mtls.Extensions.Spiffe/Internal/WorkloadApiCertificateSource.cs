using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Primitives;
using Mtls.Extensions.Infrastructure;

namespace Mtls.Extensions.Spiffe.Internal;

/// <summary>
/// Our X.509-SVID from the Workload API as an <see cref="ICertificateSource"/>: the SVID with the configured
/// hint (or the first), replaced when a message carries a different one. Its change token is the one
/// Kestrel's selector and the client's handler recycling already follow, exactly as for files.
/// </summary>
internal sealed class WorkloadApiCertificateSource : ICertificateSource, IMtlsSourceStatus, IDisposable
{
    private readonly WorkloadApiClient _client;
    private readonly string? _hint;
    private readonly ILogger _logger;
    private readonly MtlsMetrics? _metrics;
    private readonly Lock _lock = new();
    private CertificateMaterial _current;
    private CancellationTokenSource _changes = new();
    private Exception? _selectionError;
    private long _version;

    public WorkloadApiCertificateSource(string name, WorkloadApiClient client, WorkloadApiOptions options, string configurationPath, ILogger logger, MtlsMetrics? metrics)
    {
        Name = name;
        _client = client;
        _hint = string.IsNullOrEmpty(options.Hint) ? null : options.Hint;
        _logger = logger;
        _metrics = metrics;
        var first = client.WaitForFirst(options.StartupTimeout, configurationPath + ":WorkloadApi");
        var svid = first.Select(_hint) ?? throw new CertificateLoadException(configurationPath + ":WorkloadApi:Hint",
            $"the Workload API at {client.Address} offers no SVID with hint '{_hint}' (it offers: {first.Describe()}).", CertificateLoadErrorKind.NotConfigured);
        _current = svid.Material;
        Lifetimes = Describe(svid.Material);
        Log.SvidRotated(logger, name, svid.Id.ToString(), svid.Material.ThumbprintSha256, svid.Material.NotAfter);
        client.Updated += OnUpdated;
    }

    public string Name { get; }

    public string Kind => "certificate";

    public CertificateMaterial Current => Volatile.Read(ref _current);

    public DateTimeOffset LastSuccess => _client.LastSuccess;

    public DateTimeOffset? LastFailure => _client.LastFailure;

    /// <summary>Gets the disconnection (health turns Degraded while the stream is down) or a missing hint.</summary>
    public Exception? LastError => _client.LastError ?? Volatile.Read(ref _selectionError);

    public IReadOnlyList<CertificateLifetime> Lifetimes { get; private set; }

    public long Version => Interlocked.Read(ref _version);

    public IChangeToken GetChangeToken() => new CancellationChangeToken(Volatile.Read(ref _changes).Token);


    public void Dispose()
    {
        _client.Updated -= OnUpdated;
        _changes.Dispose();
    }

    private static CertificateLifetime[] Describe(CertificateMaterial material) =>
        [new CertificateLifetime("certificate", material.Identity.DisplayName, material.ThumbprintSha256, material.NotBefore, material.NotAfter)];

    private void OnUpdated(X509Context context)
    {
        lock (_lock)
        {
            var svid = context.Select(_hint);
            if (svid is null)
            {
                Log.HintMissing(_logger, _client.Address.Value, _hint ?? string.Empty, Name);
                Volatile.Write(ref _selectionError, new CertificateLoadException(_client.Address.Value, $"the last message has no SVID with hint '{_hint}'.", CertificateLoadErrorKind.NotConfigured));
                return;
            }

            Volatile.Write(ref _selectionError, null);
            if (svid.Material.HasSameContent(_current))
            {
                return;
            }

            Volatile.Write(ref _current, svid.Material);
            Lifetimes = Describe(svid.Material);
            Interlocked.Increment(ref _version);
            Log.SvidRotated(_logger, Name, svid.Id.ToString(), svid.Material.ThumbprintSha256, svid.Material.NotAfter);
            _metrics?.Reloaded(Name, Kind, succeeded: true);
            var previous = Interlocked.Exchange(ref _changes, new CancellationTokenSource());
            try
            {
                previous.Cancel();
            }
            finally
            {
                previous.Dispose();
            }
        }
    }
}
