using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Mtls.Extensions.Infrastructure;

namespace Mtls.Extensions.Spiffe.Internal;

/// <summary>
/// Creates the Workload API sources for <see cref="MtlsSourceFactory"/>. One stream per endpoint address,
/// shared by the server and every client of the process (one workload, one agent connection).
/// </summary>
internal sealed class WorkloadApiSourceProvider(TimeProvider time, ILoggerFactory? loggerFactory, MtlsMetrics? metrics) : ICertificateSourceProvider, IDisposable
{
    private readonly ConcurrentDictionary<string, Lazy<WorkloadApiClient>> _clients = new(StringComparer.Ordinal);
    private readonly ILoggerFactory _loggerFactory = loggerFactory ?? NullLoggerFactory.Instance;

    /// <summary>Gets or sets how reconnection delays are made (tests shorten them).</summary>
    /// <remarks>The default follows <c>WorkloadApi:Backoff:Initial</c> and <c>:Max</c> of the options that start the stream.</remarks>
    internal Func<WorkloadApiOptions, WorkloadApiBackoff> BackoffFactory { get; set; } = options => new WorkloadApiBackoff(options.Backoff.Initial, options.Backoff.Max);

    /// <summary>Gets or sets where <c>SPIFFE_ENDPOINT_SOCKET</c> is read from (tests replace it).</summary>
    internal Func<string, string?> Environment { get; set; } = System.Environment.GetEnvironmentVariable;

    public bool CanCreate(CertificateSourceOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.WorkloadApi.IsSelected;
    }

    public ICertificateSource CreateCertificateSource(string name, CertificateSourceOptions options, string configurationPath)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new WorkloadApiCertificateSource(name, GetClient(options, configurationPath), options.WorkloadApi, configurationPath, _loggerFactory.CreateLogger<WorkloadApiCertificateSource>(), metrics);
    }

    public ITrustBundleSource CreateTrustBundleSource(string name, CertificateSourceOptions options, string configurationPath)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new WorkloadApiTrustBundleSource(name, GetClient(options, configurationPath), options.WorkloadApi, configurationPath, _loggerFactory.CreateLogger<WorkloadApiTrustBundleSource>(), metrics);
    }

    internal WorkloadApiClient GetClient(CertificateSourceOptions options, string configurationPath)
    {
        var address = WorkloadApiAddress.Resolve(options.WorkloadApi, configurationPath, Environment);
        var client = _clients.GetOrAdd(address.Value, _ => new Lazy<WorkloadApiClient>(() =>
            new WorkloadApiClient(address, time, _loggerFactory.CreateLogger<WorkloadApiClient>(), metrics, BackoffFactory(options.WorkloadApi)))).Value;
        client.Start();
        return client;
    }

    public void Dispose()
    {
        foreach (var client in _clients.Values)
        {
            if (client.IsValueCreated)
            {
                client.Value.Dispose();
            }
        }

        _clients.Clear();
    }
}
