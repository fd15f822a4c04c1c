using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Primitives;
using Mtls.Extensions.Infrastructure;

namespace Mtls.Extensions.Spiffe.Internal;

/// <summary>
/// The trust bundles of the Workload API (the SVIDs' trust domains and the federated ones) as an
/// <see cref="ITrustBundleSource"/>: one bundle per trust domain, replaced as a whole by every message.
/// </summary>
internal sealed class WorkloadApiTrustBundleSource : ITrustBundleSource, IMtlsSourceStatus, IDisposable
{
    private readonly WorkloadApiClient _client;
    private readonly ILogger _logger;
    private readonly MtlsMetrics? _metrics;
    private readonly Lock _lock = new();
    private TrustBundle _current;
    private CancellationTokenSource _changes = new();
    private long _version;

    public WorkloadApiTrustBundleSource(string name, WorkloadApiClient client, WorkloadApiOptions options, string configurationPath, ILogger logger, MtlsMetrics? metrics)
    {
        Name = name;
        _client = client;
        _logger = logger;
        _metrics = metrics;
        var first = client.WaitForFirst(options.StartupTimeout, configurationPath);
        _current = ToBundle(first, client.Address);
        Lifetimes = Describe(_current);
        Log.BundlesChanged(logger, name, _current.Describe());
        client.Updated += OnUpdated;
    }

    public string Name { get; }

    public string Kind => "trust-bundle";

    public TrustBundle Current => Volatile.Read(ref _current);

    public DateTimeOffset LastSuccess => _client.LastSuccess;

    public DateTimeOffset? LastFailure => _client.LastFailure;

    public Exception? LastError => _client.LastError;

    public IReadOnlyList<CertificateLifetime> Lifetimes { get; private set; }

    public long Version => Interlocked.Read(ref _version);

    public IChangeToken GetChangeToken() => new CancellationChangeToken(Volatile.Read(ref _changes).Token);


    public void Dispose()
    {
        _client.Updated -= OnUpdated;
        _changes.Dispose();
    }

    internal static TrustBundle ToBundle(X509Context context, WorkloadApiAddress address) =>
        TrustBundle.CreateForTrustDomains(context.Bundles.ToDictionary(b => b.Key, b => (IEnumerable<System.Security.Cryptography.X509Certificates.X509Certificate2>)b.Value, StringComparer.Ordinal), $"Workload API {address}");

    private static CertificateLifetime[] Describe(TrustBundle bundle) =>
        bundle.Anchors.Select(a => new CertificateLifetime(
            "trusted-ca",
            a.Subject,
            Convert.ToHexString(a.GetCertHash(HashAlgorithmName.SHA256)),
            new DateTimeOffset(a.NotBefore.ToUniversalTime(), TimeSpan.Zero),
            new DateTimeOffset(a.NotAfter.ToUniversalTime(), TimeSpan.Zero))).ToArray();

    private void OnUpdated(X509Context context)
    {
        lock (_lock)
        {
            TrustBundle next;
            try
            {
                next = ToBundle(context, _client.Address);
            }
            catch (CertificateLoadException ex)
            {
                Log.MessageDiscarded(_logger, _client.Address.Value, PeerText.Escape(ex.Message, PeerText.MaxMessageLength));
                return;
            }

            if (next.ContentHash == _current.ContentHash)
            {
                return;
            }

            Volatile.Write(ref _current, next);
            Lifetimes = Describe(next);
            Interlocked.Increment(ref _version);
            Log.BundlesChanged(_logger, Name, next.Describe());
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
