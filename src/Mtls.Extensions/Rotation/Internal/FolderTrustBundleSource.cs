using Microsoft.Extensions.Logging;
using Mtls.Extensions.Infrastructure;

namespace Mtls.Extensions.Internal;

/// <summary>The CA bundle of a layout folder (<c>ca.crt</c>, <c>svid_bundle.pem</c>); changes together with the folder's certificate.</summary>
internal sealed class FolderTrustBundleSource : FolderPartSource<TrustBundle>, ITrustBundleSource
{
    public FolderTrustBundleSource(ReloadingFolderSource folder, ILogger logger)
        : base(folder, "trust-bundle", logger)
    {
        Log.TrustBundleLoaded(logger, Name, Current.Describe());
    }

    public TrustBundle Current => CurrentPart;

    protected override TrustBundle? Part(FolderContent content) => content.Trust;

    protected override IReadOnlyList<CertificateLifetime> Describe(TrustBundle part) => ReloadingTrustBundleSource.LifetimesOf(part);
}
