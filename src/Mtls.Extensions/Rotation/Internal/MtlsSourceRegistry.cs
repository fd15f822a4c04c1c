namespace Mtls.Extensions.Internal;

/// <summary>Every source created in this service provider, for health checks and the expiry gauge.</summary>
internal sealed class MtlsSourceRegistry
{
    private readonly Lock _lock = new();
    private IReloadingSource[] _sources = [];

    public void Add(IReloadingSource source)
    {
        lock (_lock)
        {
            _sources = [.. _sources, source];
        }
    }

    public void Remove(IReloadingSource source)
    {
        lock (_lock)
        {
            _sources = _sources.Where(s => !ReferenceEquals(s, source)).ToArray();
        }
    }

    public IReadOnlyList<IReloadingSource> Snapshot() => Volatile.Read(ref _sources);
}

internal static class ReloadingSourceExtensions
{
    public static IEnumerable<(string Kind, DateTimeOffset NotAfter)> Expiries(this IReloadingSource source)
    {
        foreach (var lifetime in source.Lifetimes)
        {
            yield return (lifetime.Kind, lifetime.NotAfter);
        }
    }
}
