using Microsoft.Extensions.Logging;
using Mtls.Extensions.Infrastructure;

namespace Mtls.Extensions.Internal;

internal sealed class ReloadingCertificateSource : ReloadingSource<CertificateMaterial>, ICertificateSource
{
    public ReloadingCertificateSource(string name, CertificateSourceOptions options, string configurationPath, MtlsReloadOptions reload, TimeProvider time, ILogger logger, MtlsMetrics? metrics)
        : base(name, "certificate", () => CertificateMaterialLoader.Load(options, configurationPath, time), () => CertificateMaterialLoader.GetFiles(options), reload, time, logger, metrics)
    {
        var current = CurrentValue;
        Log.CertificateLoaded(logger, name, current.Certificate.Subject, current.ThumbprintSha256, current.NotAfter);
        KeyFilePermissions.Check(logger, name, options);
    }

    public CertificateMaterial Current => CurrentValue;

    internal static IReadOnlyList<CertificateLifetime> LifetimeOf(CertificateMaterial value) =>
        [new CertificateLifetime("certificate", value.Identity.Subject, value.ThumbprintSha256, value.NotBefore, value.NotAfter)];

    /// <summary>Keeps the current material when the files hold the same certificates; the duplicate just read is disposed.</summary>
    internal static CertificateMaterial? Keep(CertificateMaterial current, CertificateMaterial next)
    {
        if (current.HasSameContent(next))
        {
            next.Release();
            return null;
        }

        return next;
    }

    protected override CertificateMaterial? Reconcile(CertificateMaterial current, CertificateMaterial next) => Keep(current, next);

    protected override IReadOnlyList<CertificateLifetime> Describe(CertificateMaterial value) => LifetimeOf(value);

    protected override string DescribeCurrent(CertificateMaterial value) => value.ToString();

    protected override void OnReplaced(CertificateMaterial previous, CertificateMaterial next)
    {
        Log.ReloadSucceeded(Logger, Kind, Name, next.Certificate.Subject, next.ThumbprintSha256, next.NotAfter);
        Metrics?.Reloaded(Name, Kind, succeeded: true);
        // Handshakes and handlers that still use it hold their own reference; the last one disposes it.
        previous.Release();
    }

    protected override void OnDisposed(CertificateMaterial current) => current.Release();
}
