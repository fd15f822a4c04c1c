using Microsoft.Extensions.Logging;
using Mtls.Extensions.Infrastructure;

namespace Mtls.Extensions.Internal;

/// <summary>
/// A certificate folder in a known layout (cert-manager's <c>tls.crt</c>/<c>tls.key</c>/<c>ca.crt</c>, spiffe-helper's
/// files) read as ONE snapshot: the certificate with its key and, when the trust bundle comes from the same folder, its
/// CA file. One watcher set, one debounce, one read, one published value: a <c>..data</c> swap that renews certificate and
/// CA is one change, never the new certificate with the old CA in between. <see cref="FolderCertificateSource"/> and
/// <see cref="FolderTrustBundleSource"/> are its two faces; each fires its own token only when its part changed.
/// </summary>
internal sealed class ReloadingFolderSource : ReloadingSource<FolderContent>
{
    private readonly FolderReader _reader;

    private ReloadingFolderSource(string name, FolderReader reader, MtlsReloadOptions reload, TimeProvider time, ILogger logger, MtlsMetrics? metrics)
        : base(name, "certificate folder", reader.Read, reader.Files, reload, time, logger, metrics)
    {
        _reader = reader;
    }

    /// <summary>Gets the current snapshot: one volatile read, both parts from the same read of the folder.</summary>
    public FolderContent Content => CurrentValue;

    /// <summary>Gets the folder's CA bundle file.</summary>
    public string BundlePath => _reader.BundlePath;

    public static ReloadingFolderSource Create(string name, CertificateSourceOptions options, MtlsReloadOptions reload, TimeProvider time, ILogger logger, MtlsMetrics? metrics) =>
        new(name, new FolderReader(options, time), reload, time, logger, metrics);

    /// <summary>Starts reading the certificate and key (the first read throws).</summary>
    public void AttachCertificate(string configurationPath) =>
        Amend(current => current.Certificate is not null ? current : current with { Certificate = _reader.AttachCertificate(configurationPath) });

    /// <summary>Starts reading the CA bundle (the first read throws).</summary>
    public void AttachTrust(string source, Func<TrustBundle, CertificateMaterial?, TrustBundle> split) =>
        Amend(current => current.Trust is not null ? current : current with { Trust = _reader.AttachTrust(source, split) });

    protected override FolderContent? Reconcile(FolderContent current, FolderContent next)
    {
        // Unchanged parts keep their instance: subscribers compare by reference, and a kept material stays referenced.
        var certificate = current.Certificate is not null && next.Certificate is not null
            ? ReloadingCertificateSource.Keep(current.Certificate, next.Certificate) ?? current.Certificate
            : next.Certificate;
        var trust = current.Trust is not null && current.Trust.ContentHash == next.Trust?.ContentHash ? current.Trust : next.Trust;
        return ReferenceEquals(certificate, current.Certificate) && ReferenceEquals(trust, current.Trust)
            ? null
            : new FolderContent(certificate, trust);
    }

    protected override void OnReplaced(FolderContent previous, FolderContent next)
    {
        if (!ReferenceEquals(previous.Certificate, next.Certificate) && next.Certificate is { } material)
        {
            Log.ReloadSucceeded(Logger, "certificate", Name, material.Certificate.Subject, material.ThumbprintSha256, material.NotAfter);
            Metrics?.Reloaded(Name, "certificate", succeeded: true);
            previous.Certificate?.Release();
        }

        if (!ReferenceEquals(previous.Trust, next.Trust) && next.Trust is { } trust)
        {
            Log.TrustBundleReloaded(Logger, Name, trust.Describe());
            Metrics?.Reloaded(Name, "trust-bundle", succeeded: true);
        }
    }

    protected override void OnReloadFailed(Exception error)
    {
        var current = CurrentValue;
        Log.ReloadFailed(Logger, error, Kind, Name, DescribeCurrent(current));
        if (current.Certificate is not null)
        {
            Metrics?.Reloaded(Name, "certificate", succeeded: false);
        }

        if (current.Trust is not null)
        {
            Metrics?.Reloaded(Name, "trust-bundle", succeeded: false);
        }
    }

    protected override IReadOnlyList<CertificateLifetime> Describe(FolderContent value) =>
        [.. value.Certificate is null ? [] : ReloadingCertificateSource.LifetimeOf(value.Certificate), .. value.Trust is null ? [] : ReloadingTrustBundleSource.LifetimesOf(value.Trust)];

    protected override string DescribeCurrent(FolderContent value) =>
        string.Join("; ", new[] { value.Certificate?.ToString(), value.Trust?.Describe() }.Where(d => d is not null));

    protected override void OnDisposed(FolderContent current) => current.Certificate?.Release();
}
