using Mtls.Extensions.Infrastructure;

namespace Mtls.Extensions.Internal;

internal static class ReloadingSourceExtensions
{
    public static IEnumerable<(string Kind, DateTimeOffset NotAfter)> Expiries(this IMtlsSourceStatus source)
    {
        foreach (var lifetime in source.Lifetimes)
        {
            yield return (lifetime.Kind, lifetime.NotAfter);
        }
    }
}
