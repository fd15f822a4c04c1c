using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Mtls.Extensions.AspNetCore.Internal.Forwarding;

/// <summary>The forwarding instruments on the <c>Mtls.Extensions</c> meter. Tags are low-cardinality: never an address or a header's content.</summary>
internal sealed class ForwardingMetrics
{
    public const string HeadersRemovedInstrument = "mtls.forwarding.headers_removed";
    public const string ReasonTag = "mtls.forwarding.reason";
    public const string UntrustedSource = "untrusted_source";
    public const string OtherFormat = "other_format";

    private readonly Counter<long> _removed;

    public ForwardingMetrics(IMeterFactory meterFactory) =>
        _removed = meterFactory.Create(MtlsDiagnostics.MeterName).CreateCounter<long>(HeadersRemovedInstrument, "{header}", "Client-certificate forwarding headers removed from requests of sources that may not send them.");

    public void Removed(string reason, int count)
    {
        if (_removed.Enabled)
        {
            _removed.Add(count, new TagList { { ReasonTag, reason } });
        }
    }
}
