using System.Net.Http;
using Microsoft.Extensions.Http;
using Microsoft.Extensions.Http.Resilience;

namespace Mtls.Extensions.Http.Internal;

/// <summary>Marks where the mTLS client's own resilience handler sits in the handler chain; removed before the chain is built.</summary>
internal sealed class MtlsResilienceMarker : DelegatingHandler;

/// <summary>
/// Keeps one resilience pipeline per mTLS client: when the app adds a resilience handler of its own to the client
/// (<c>AddStandardResilienceHandler()</c>, <c>AddStandardHedgingHandler()</c>, <c>AddResilienceHandler(...)</c>), the
/// client's default pipeline steps aside instead of stacking under it (two retry loops multiply attempts and delays).
/// </summary>
internal sealed class MtlsResilienceStepAside(IEnumerable<MtlsHttpClientRegistration> registrations) : IHttpMessageHandlerBuilderFilter
{
    private readonly HashSet<string> _names = registrations.Select(r => r.Name).ToHashSet(StringComparer.Ordinal);

    public Action<HttpMessageHandlerBuilder> Configure(Action<HttpMessageHandlerBuilder> next) => builder =>
    {
        next(builder);
        if (builder.Name is not { } name || !_names.Contains(name))
        {
            return;
        }

        var handlers = builder.AdditionalHandlers;
        var marker = -1;
        for (var i = 0; i < handlers.Count; i++)
        {
            if (handlers[i] is MtlsResilienceMarker)
            {
                marker = i;
                break;
            }
        }

        if (marker < 0)
        {
            return;
        }

        var ours = marker + 1 < handlers.Count && handlers[marker + 1] is ResilienceHandler ? marker + 1 : -1;
        var another = handlers.Where((handler, i) => i != ours && handler is ResilienceHandler).Any();
        if (ours >= 0 && another)
        {
            handlers[ours].Dispose();
            handlers.RemoveAt(ours);
        }

        handlers[marker].Dispose();
        handlers.RemoveAt(marker);
    };
}
