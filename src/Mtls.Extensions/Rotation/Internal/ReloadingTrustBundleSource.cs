using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Mtls.Extensions.Infrastructure;

namespace Mtls.Extensions.Internal;

internal sealed class ReloadingTrustBundleSource : ReloadingSource<TrustBundle>, ITrustBundleSource
{
    public ReloadingTrustBundleSource(string name, Func<TrustBundle> load, Func<IEnumerable<string>> files, MtlsReloadOptions reload, TimeProvider time, ILogger logger, MtlsMetrics? metrics)
        : base(name, "trust-bundle", load, files, reload, time, logger, metrics)
    {
        Log.TrustBundleLoaded(logger, name, CurrentValue.Describe());
    }

    public TrustBundle Current => CurrentValue;

    internal static IReadOnlyList<CertificateLifetime> LifetimesOf(TrustBundle value) =>
        value.Anchors.Select(a => new CertificateLifetime(
            "trusted-ca",
            a.Subject,
            Convert.ToHexString(a.GetCertHash(HashAlgorithmName.SHA256)),
            new DateTimeOffset(a.NotBefore.ToUniversalTime(), TimeSpan.Zero),
            new DateTimeOffset(a.NotAfter.ToUniversalTime(), TimeSpan.Zero))).ToArray();

    protected override TrustBundle? Reconcile(TrustBundle current, TrustBundle next) => current.ContentHash == next.ContentHash ? null : next;

    protected override IReadOnlyList<CertificateLifetime> Describe(TrustBundle value) => LifetimesOf(value);

    protected override string DescribeCurrent(TrustBundle value) => value.Describe();

    protected override void OnReplaced(TrustBundle previous, TrustBundle next)
    {
        Log.TrustBundleReloaded(Logger, Name, next.Describe());
        Metrics?.Reloaded(Name, Kind, succeeded: true);
    }
}
