using Microsoft.Extensions.Logging;
using Mtls.Extensions.Infrastructure;

namespace Mtls.Extensions.Internal;

/// <summary>The certificate of a layout folder; changes together with the folder's CA bundle (see <see cref="ReloadingFolderSource"/>).</summary>
internal sealed class FolderCertificateSource : FolderPartSource<CertificateMaterial>, ICertificateSource
{
    public FolderCertificateSource(ReloadingFolderSource folder, ILogger logger)
        : base(folder, "certificate", logger)
    {
        var current = Current;
        Log.CertificateLoaded(logger, Name, current.Certificate.Subject, current.ThumbprintSha256, current.NotAfter);
    }

    public CertificateMaterial Current => CurrentPart;

    protected override CertificateMaterial? Part(FolderContent content) => content.Certificate;

    protected override IReadOnlyList<CertificateLifetime> Describe(CertificateMaterial part) => ReloadingCertificateSource.LifetimeOf(part);
}
