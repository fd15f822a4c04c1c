using Microsoft.Extensions.Logging;

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

    protected override bool SameContent(CertificateMaterial current, CertificateMaterial next) => current.HasSameContent(next);

    protected override IReadOnlyList<CertificateLifetime> Describe(CertificateMaterial value) =>
        [new CertificateLifetime("certificate", value.Certificate.Subject, value.ThumbprintSha256, value.NotBefore, value.NotAfter)];

    protected override string DescribeCurrent(CertificateMaterial value) => value.ToString();

    protected override void OnReloaded(CertificateMaterial value) =>
        Log.ReloadSucceeded(Logger, Kind, Name, value.Certificate.Subject, value.ThumbprintSha256, value.NotAfter);
}
