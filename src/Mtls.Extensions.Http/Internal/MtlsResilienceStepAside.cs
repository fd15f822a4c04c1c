using System.Net.Http;
using Microsoft.Extensions.Http;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Options;

namespace Mtls.Extensions.Http.Internal;

/// <summary>Marks where the mTLS client's own resilience handler sits in the handler chain; removed before the chain is built.</summary>
internal sealed class MtlsResilienceMarker : DelegatingHandler;

/// <summary>
/// Keeps one resilience pipeline per mTLS client: when the app adds a resilience handler of its own to the client
/// (<c>AddStandardResilienceHandler()</c>, <c>AddStandardHedgingHandler()</c>, <c>AddResilienceHandler(...)</c>), the
/// client's default pipeline steps aside instead of stacking under it (two retry loops multiply attempts and delays).
/// With <c>Resilience:Enabled</c> false the default handler is not in the chain at all: an empty pipeline still costs
/// a resilience context, its telemetry and two more async layers per request.
/// </summary>
internal sealed class MtlsResilienceStepAside(IEnumerable<MtlsHttpClientRegistration> registrations, IOptionsMonitor<MtlsHttpClientOptions> options) : IHttpMessageHandlerBuilderFilter
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
        if (ours >= 0 && (another || !options.Get(name).Resilience.Enabled))
        {
            handlers[ours].Dispose();
            handlers.RemoveAt(ours);
        }

        handlers[marker].Dispose();
        handlers.RemoveAt(marker);
    };
}
