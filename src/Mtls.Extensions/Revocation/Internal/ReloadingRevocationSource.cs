using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Primitives;
using Mtls.Extensions.Infrastructure;

namespace Mtls.Extensions.Internal;

/// <summary>
/// The watched CRL files and denylist file of one endpoint, reloaded like every other source (torn writes retried, the
/// last good snapshot kept, the first load failing stops start-up). Its lifetimes are the CRLs' thisUpdate/nextUpdate, so
/// health checks and the expiry gauge (kind <c>crl</c>) show each CRL's age and next update.
/// </summary>
internal sealed class ReloadingRevocationSource : ReloadingSource<RevocationFiles>
{
    private MtlsRevocationOptions? _settings;

    public ReloadingRevocationSource(string name, Func<RevocationFiles> load, Func<IEnumerable<string>> files, MtlsReloadOptions reload, TimeProvider time, ILogger logger, MtlsMetrics? metrics)
        : base(name, "revocation", load, files, reload, time, logger, metrics)
    {
        Log.RevocationLoaded(logger, name, Summary(CurrentValue));
    }

    public RevocationFiles Current => CurrentValue;

    /// <summary>
    /// Gets or sets the staleness settings last applied with these files (<see cref="RevocationSource.Apply"/>), so that
    /// health checks judge a CRL's age as handshakes do; <see langword="null"/> until first applied (grace zero, fail closed).
    /// </summary>
    public MtlsRevocationOptions? Settings
    {
        get => Volatile.Read(ref _settings);
        set => Volatile.Write(ref _settings, value);
    }

    public IChangeToken ChangeToken => GetChangeToken();

    internal static string Summary(RevocationFiles value) =>
        $"{value.Crls.Count} CRL(s) [{string.Join(", ", value.Crls.Select(c => $"{c.IssuerText}: {c.Count} revoked, thisUpdate {c.ThisUpdate:u}, nextUpdate {(c.NextUpdate is { } n ? n.ToString("u", System.Globalization.CultureInfo.InvariantCulture) : "none")}"))}], {value.Deny.Count} denylist file entries";

    protected override RevocationFiles? Reconcile(RevocationFiles current, RevocationFiles next) => current.ContentHash == next.ContentHash ? null : next;

    protected override IReadOnlyList<CertificateLifetime> Describe(RevocationFiles value) =>
        value.Crls.Where(c => c.NextUpdate is not null)
            .Select(c => new CertificateLifetime("crl", c.IssuerText, c.Number is null ? "" : "crlNumber " + c.Number, c.ThisUpdate, c.NextUpdate!.Value))
            .ToArray();

    protected override string DescribeCurrent(RevocationFiles value) => Summary(value);

    protected override void OnReplaced(RevocationFiles previous, RevocationFiles next)
    {
        Log.RevocationReloaded(Logger, Name, Summary(next));
        Metrics?.Reloaded(Name, Kind, succeeded: true);
    }
}
