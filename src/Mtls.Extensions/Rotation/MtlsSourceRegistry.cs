using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Mtls.Extensions.Internal;

namespace Mtls.Extensions.Infrastructure;

/// <summary>
/// Every certificate and trust bundle source of one service provider, for health checks, readiness probes and the
/// expiry gauge: the names the entry points declared at registration (<see cref="Declare"/>), and the sources
/// <see cref="MtlsSourceFactory"/> created since.
/// </summary>
/// <remarks>
/// Infrastructure for the sibling packages and for hosts that add their own entry point; one instance per service
/// provider, registered by <see cref="MtlsCoreServiceCollectionExtensions.AddMtlsCore"/>.
/// </remarks>
public sealed class MtlsSourceRegistry
{
    private static readonly string[] Kinds = ["certificate", "trust-bundle"];

    private readonly Lock _lock = new();
    private readonly TimeProvider _time;
    private readonly Func<IEnumerable<MtlsSourceDeclaration>> _declared;
    private IMtlsSourceStatus[] _sources = [];

    internal MtlsSourceRegistry()
        : this(TimeProvider.System, static () => [])
    {
    }

    internal MtlsSourceRegistry(TimeProvider time, Func<IEnumerable<MtlsSourceDeclaration>> declared)
    {
        _time = time;
        _declared = declared;
    }

    /// <summary>
    /// Declares the name of a certificate source and a trust bundle source an entry point will create
    /// (<c>server</c>, <c>client:inventory</c>), so that health checks and readiness know it before it is first used.
    /// Idempotent.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="name">The source name the entry point passes to <see cref="MtlsSourceFactory"/>.</param>
    /// <exception cref="ArgumentNullException"><paramref name="services"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="name"/> is <see langword="null"/> or empty.</exception>
    public static void Declare(IServiceCollection services, string name)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrEmpty(name);
        MtlsSourceDeclaration.Declare(services, name);
    }

    /// <summary>
    /// Determines whether every declared source has loaded and none has expired. A Degraded source (renewal overdue,
    /// last reload failed) is ready: its last good material is served.
    /// </summary>
    /// <returns><see langword="true"/> when no declared certificate or trust bundle is unhealthy.</returns>
    public bool IsReady()
    {
        var thresholds = new MtlsHealthCheckOptions();
        foreach (var declaration in _declared())
        {
            foreach (var kind in Kinds)
            {
                if (new MtlsSourceHealthCheck(declaration.Name, kind, this, _time, thresholds).Check().Status == HealthStatus.Unhealthy)
                {
                    return false;
                }
            }
        }

        return true;
    }

    internal void Add(IMtlsSourceStatus source)
    {
        lock (_lock)
        {
            _sources = [.. _sources, source];
        }
    }

    internal void Remove(IMtlsSourceStatus source)
    {
        lock (_lock)
        {
            _sources = _sources.Where(s => !ReferenceEquals(s, source)).ToArray();
        }
    }

    internal IReadOnlyList<IMtlsSourceStatus> Snapshot() => Volatile.Read(ref _sources);
}
