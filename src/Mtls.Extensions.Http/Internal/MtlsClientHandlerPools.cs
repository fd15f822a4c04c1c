using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Mtls.Extensions.Infrastructure;

namespace Mtls.Extensions.Http.Internal;

/// <summary>One <see cref="MtlsClientHandlerPool"/> per client name, created on first use, disposed with the service provider.</summary>
internal sealed class MtlsClientHandlerPools(
    IOptionsMonitor<MtlsHttpClientOptions> options,
    MtlsSourceFactory sources,
    PeerCertificateValidator validator,
    MtlsMetrics metrics,
    TimeProvider timeProvider,
    ILoggerFactory loggerFactory) : IDisposable
{
    private readonly ConcurrentDictionary<string, Lazy<MtlsClientHandlerPool>> _pools = new(StringComparer.Ordinal);

    // The pool reads the client's options once, when the client is first used, and keeps them: deliberately fixed for the
    // process lifetime. Its sources watch the configured files (rotation needs no options change), and Mtls:Clients:{name}
    // registers no change token, so the monitor's value never changes after the first read.
    public MtlsClientHandlerPool Get(string name) =>
        _pools.GetOrAdd(name, n => new Lazy<MtlsClientHandlerPool>(() => new MtlsClientHandlerPool(
            n, options.Get(n), sources, validator, metrics, loggerFactory.CreateLogger("Mtls.Extensions.Http.MtlsHttpClient"), timeProvider))).Value;

    public void Dispose()
    {
        foreach (var pool in _pools.Values)
        {
            if (pool.IsValueCreated)
            {
                pool.Value.Dispose();
            }
        }
    }
}

/// <summary>A client name registered with <c>AddMtlsHttpClient</c>.</summary>
internal sealed record MtlsHttpClientRegistration(string Name);
