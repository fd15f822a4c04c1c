using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Mtls.Extensions.Internal;
using Mtls.Extensions.Validation.Internal;

namespace Mtls.Extensions.Infrastructure;

/// <summary>
/// Creates the watched, reloading certificate and trust bundle sources, one per name, and tracks them for
/// health checks and the expiry gauge. Registered as a singleton by the <c>AddMutualTls</c> and
/// <c>AddMtlsHttpClient</c> entry points; disposing the service provider stops every watcher.
/// </summary>
/// <remarks>
/// Infrastructure for the sibling packages and for hosts that build their own entry point (resolve it from a service
/// provider after <see cref="Microsoft.Extensions.DependencyInjection.MtlsCoreServiceCollectionExtensions.AddMtlsCore"/>);
/// applications configure <c>AddMutualTls</c> and <c>AddMtlsHttpClient</c> instead.
/// </remarks>
public sealed class MtlsSourceFactory : IDisposable
{
    private readonly ConcurrentDictionary<string, Lazy<IDisposable>> _sources = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Lazy<ReloadingFolderSource>> _folders = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;
    private readonly ILoggerFactory _loggerFactory;
    private readonly MtlsSourceRegistry _registry;
    private readonly MtlsMetrics? _metrics;
    private readonly ICertificateSourceProvider[] _providers;

    internal MtlsSourceFactory(TimeProvider time, ILoggerFactory? loggerFactory, MtlsSourceRegistry registry, MtlsMetrics? metrics, IEnumerable<ICertificateSourceProvider>? providers = null)
    {
        _time = time;
        _loggerFactory = loggerFactory ?? NullLoggerFactory.Instance;
        _registry = registry;
        _metrics = metrics;
        _providers = providers?.ToArray() ?? [];
    }

    /// <summary>
    /// Gets the certificate source of a name, creating (and loading) it on first use. A folder in a known layout
    /// (<see cref="CertificateSourceOptions.Directory"/>) is read as one snapshot with its CA file when the trust bundle
    /// source of the same name uses that file: a rotation that renews both is one change of both sources.
    /// </summary>
    /// <param name="name">A unique name, e.g. <c>server</c> or <c>client:inventory</c>; used in logs, metrics and health checks.</param>
    /// <param name="options">Where the certificate comes from.</param>
    /// <param name="reload">How files are watched; defaults apply when <see langword="null"/>.</param>
    /// <param name="configurationPath">The configuration key of <paramref name="options"/>, for error messages.</param>
    /// <returns>The source.</returns>
    /// <exception cref="CertificateLoadException">The first load failed.</exception>
    public ICertificateSource GetCertificateSource(string name, CertificateSourceOptions options, MtlsReloadOptions? reload = null, string? configurationPath = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(options);
        configurationPath ??= "Certificate";
        if (FindProvider(options, configurationPath) is { } provider)
        {
            var path = configurationPath;
            return (ICertificateSource)GetOrAdd("certificate:" + name, () => (IDisposable)provider.CreateCertificateSource(name, options, path));
        }

        var certificatePath = configurationPath;
        return (ICertificateSource)GetOrAdd("certificate:" + name, () =>
        {
            // Files, stores, inline PEM and the SPIFFE Filesystem Delivery folder (its bundles are per trust domain,
            // not a CA file of the folder) reload on their own; a folder layout with its CA file is one snapshot.
            if (string.IsNullOrWhiteSpace(options.Directory) || options.Layout == CertificateDirectoryLayout.SpiffeFilesystem)
            {
                return new ReloadingCertificateSource(
                    name, options, certificatePath, reload ?? new MtlsReloadOptions(), _time, _loggerFactory.CreateLogger<ReloadingCertificateSource>(), _metrics);
            }

            var folder = GetFolder(name, options, reload);
            folder.AttachCertificate(certificatePath);
            return new FolderCertificateSource(folder, _loggerFactory.CreateLogger<ReloadingCertificateSource>());
        });
    }

    /// <summary>
    /// Gets the trust bundle source of a name, creating (and loading) it on first use. When
    /// <paramref name="options"/> configures nothing and <paramref name="certificate"/> uses a folder layout,
    /// the layout's CA file (<c>ca.crt</c>, <c>svid_bundle.pem</c>) is the bundle.
    /// </summary>
    /// <param name="name">A unique name.</param>
    /// <param name="options">Where the pinned CAs come from.</param>
    /// <param name="certificate">The certificate options of the same side, for the folder layout fallback.</param>
    /// <param name="reload">How files are watched.</param>
    /// <param name="configurationPath">The configuration key of <paramref name="options"/>, for error messages.</param>
    /// <returns>The source.</returns>
    /// <exception cref="CertificateLoadException">Nothing is configured or the first load failed.</exception>
    public ITrustBundleSource GetTrustBundleSource(string name, TrustedCaOptions options, CertificateSourceOptions? certificate = null, MtlsReloadOptions? reload = null, string? configurationPath = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(options);
        configurationPath ??= "TrustedCa";
        if (!options.IsConfigured && certificate is not null && FindProvider(certificate, configurationPath) is { } provider)
        {
            var providerPath = configurationPath;
            return (ITrustBundleSource)GetOrAdd("trust:" + name, () => (IDisposable)provider.CreateTrustBundleSource(name, certificate, providerPath));
        }

        var trustPath = configurationPath;
        if (!options.IsConfigured && certificate is { Layout: CertificateDirectoryLayout.SpiffeFilesystem, ResolvedDirectory: { Length: > 0 } credentialFolder })
        {
            // Filesystem Delivery: one bundle per trust domain, never unified.
            return (ITrustBundleSource)GetOrAdd("trust:" + name, () => new ReloadingTrustBundleSource(
                name, () => TrustDomainBundles.LoadDirectory(credentialFolder, $"{trustPath} (from the credential folder '{credentialFolder}')"), () => TrustDomainBundles.DirectoryFiles(credentialFolder), reload ?? new MtlsReloadOptions(), _time, _loggerFactory.CreateLogger<ReloadingTrustBundleSource>(), _metrics));
        }

        if (options.HasTrustDomainBundles)
        {
            return (ITrustBundleSource)GetOrAdd("trust:" + name, () => new ReloadingTrustBundleSource(
                name, () => TrustDomainBundles.Load(options, trustPath), () => TrustDomainBundles.Files(options), reload ?? new MtlsReloadOptions(), _time, _loggerFactory.CreateLogger<ReloadingTrustBundleSource>(), _metrics));
        }

        if (!options.IsConfigured && certificate is not null && !string.IsNullOrWhiteSpace(certificate.Directory))
        {
            // The folder's CA file, read together with its certificate (one snapshot, one change).
            return (ITrustBundleSource)GetOrAdd("trust:" + name, () =>
            {
                var folder = GetFolder(name, certificate, reload);
                // A combined CA file (spiffe-helper's federated domains, cert-manager's several roots) is split per trust domain.
                folder.AttachTrust(
                    $"{trustPath} (from the certificate folder: '{folder.BundlePath}')",
                    (bundle, own) => TrustDomainBundles.Split(bundle, options.TrustDomain, own is null ? OwnTrustDomain(name) : own.Identity.SpiffeId?.TrustDomain, splitUnlabelled: true, trustPath));
                return new FolderTrustBundleSource(folder, _loggerFactory.CreateLogger<ReloadingTrustBundleSource>());
            });
        }

        Func<IEnumerable<string>> files = () => string.IsNullOrWhiteSpace(options.Path) ? [] : [Path.GetFullPath(options.Path)];
        return (ITrustBundleSource)GetOrAdd("trust:" + name, () => new ReloadingTrustBundleSource(
            name, () => TrustDomainBundles.Split(TrustBundle.Load(options, trustPath), options.TrustDomain, OwnTrustDomain(name), splitUnlabelled: false, trustPath), files, reload ?? new MtlsReloadOptions(), _time, _loggerFactory.CreateLogger<ReloadingTrustBundleSource>(), _metrics));
    }

    /// <summary>
    /// Refuses a workload's own SVID that is not a valid X509-SVID (SPIFFE X509-SVID §4, §5: one URI SAN with a SPIFFE ID,
    /// a leaf that is not a CA, has digitalSignature and neither keyCertSign nor cRLSign, signing certificates that are
    /// CAs with keyCertSign), with the rules the validator applies to SPIFFE peers. Sources of SPIFFE material call it
    /// before they serve an SVID: at first load (the exception stops start-up) and at every update (the update is discarded).
    /// </summary>
    /// <param name="material">The SVID with its intermediates.</param>
    /// <param name="source">Where it came from, for the message.</param>
    /// <exception cref="ArgumentNullException"><paramref name="material"/> is <see langword="null"/>.</exception>
    /// <exception cref="CertificateLoadException">The SVID breaks a rule; the message names it.</exception>
    public static void EnsureX509Svid(CertificateMaterial material, string source)
    {
        ArgumentNullException.ThrowIfNull(material);
        X509SvidRules.EnsureOwn(material, source);
    }

    /// <summary>
    /// Gets the revocation source of a name: its CRL files (<c>TrustedCa:Crls</c>) and denylist file
    /// (<c>Revocation:DenyPath</c>), watched and reloaded like the trust bundle; created (and loaded) on first use.
    /// </summary>
    /// <param name="name">A unique name, as for the certificate source.</param>
    /// <param name="trustedCa">The pinned CA options holding <c>Crls</c>.</param>
    /// <param name="revocation">The revocation options holding <c>DenyPath</c>.</param>
    /// <param name="reload">How files are watched.</param>
    /// <param name="configurationPath">The endpoint's configuration key (<c>Mtls:Server</c>), for messages.</param>
    /// <returns>The source; one without files when none is configured.</returns>
    /// <exception cref="ArgumentNullException">An argument other than <paramref name="reload"/> is <see langword="null"/>.</exception>
    /// <exception cref="CertificateLoadException">The first load failed (a file is missing or does not parse).</exception>
    public RevocationSource GetRevocationSource(string name, TrustedCaOptions trustedCa, MtlsRevocationOptions revocation, MtlsReloadOptions? reload, string configurationPath)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(trustedCa);
        ArgumentNullException.ThrowIfNull(revocation);
        ArgumentNullException.ThrowIfNull(configurationPath);
        if (!RevocationFiles.IsConfigured(trustedCa.Crls, revocation))
        {
            return new RevocationSource(null);
        }

        var files = (ReloadingRevocationSource)GetOrAdd("revocation:" + name, () => new ReloadingRevocationSource(
            name,
            () => RevocationFiles.Load(trustedCa.Crls, revocation, $"{configurationPath}:TrustedCa", $"{configurationPath}:Revocation"),
            () => RevocationFiles.Files(trustedCa.Crls, revocation),
            reload ?? new MtlsReloadOptions(),
            _time,
            _loggerFactory.CreateLogger<ReloadingRevocationSource>(),
            _metrics));
        return new RevocationSource(files);
    }

    /// <summary>Re-reads every source now, as a file event would (a test hook: tests write files, then reload).</summary>
    internal void ReloadAll()
    {
        foreach (var source in _sources.Values)
        {
            if (source.IsValueCreated && source.Value is IReloadingSource reloadable)
            {
                reloadable.ReloadNow();
            }
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        foreach (var source in _sources.Values)
        {
            if (source.IsValueCreated)
            {
                if (source.Value is IMtlsSourceStatus tracked)
                {
                    _registry.Remove(tracked);
                }

                source.Value.Dispose();
            }
        }

        _sources.Clear();

        // After the parts that subscribe to them.
        foreach (var folder in _folders.Values)
        {
            if (folder.IsValueCreated)
            {
                folder.Value.Dispose();
            }
        }

        _folders.Clear();
    }

    /// <summary>The shared snapshot of a layout folder, one per name and folder; its parts attach as their sources are created.</summary>
    private ReloadingFolderSource GetFolder(string name, CertificateSourceOptions options, MtlsReloadOptions? reload)
    {
        var key = $"{name}|{Path.GetFullPath(options.Directory!)}|{options.Layout}";
        return _folders.GetOrAdd(key, _ => new Lazy<ReloadingFolderSource>(() => ReloadingFolderSource.Create(
            name, options, reload ?? new MtlsReloadOptions(), _time, _loggerFactory.CreateLogger<ReloadingFolderSource>(), _metrics))).Value;
    }

    /// <summary>The trust domain of the SPIFFE ID of the certificate source of the same name, once it exists (it is created first).</summary>
    private string? OwnTrustDomain(string name) =>
        _sources.TryGetValue("certificate:" + name, out var lazy) && lazy.IsValueCreated && lazy.Value is ICertificateSource source
            ? source.Current.Identity.SpiffeId?.TrustDomain
            : null;

    private ICertificateSourceProvider? FindProvider(CertificateSourceOptions options, string configurationPath)
    {
        foreach (var provider in _providers)
        {
            if (provider.CanCreate(options))
            {
                return provider;
            }
        }

        if (options.WorkloadApi.IsSelected)
        {
            throw new CertificateLoadException(configurationPath + ":WorkloadApi",
                "the SPIFFE Workload API source needs the Mtls.Extensions.Spiffe package: reference it and call services.AddMtlsSpiffe().",
                CertificateLoadErrorKind.NotConfigured);
        }

        return null;
    }

    private IDisposable GetOrAdd(string key, Func<IDisposable> create)
    {
        var lazy = _sources.GetOrAdd(key, _ => new Lazy<IDisposable>(() =>
        {
            var source = create();
            if (source is IMtlsSourceStatus tracked)
            {
                _registry.Add(tracked);
            }

            return source;
        }));
        try
        {
            return lazy.Value;
        }
        catch
        {
            // A failed first load is not cached: the next call (after fixing the files) tries again.
            _sources.TryRemove(new KeyValuePair<string, Lazy<IDisposable>>(key, lazy));
            throw;
        }
    }
}
