using System.Security.Authentication;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.Hosting;

namespace Mtls.Extensions.AspNetCore.Internal;

/// <summary>
/// Stops start-up when an HTTPS endpoint does not carry the mutual TLS wiring, or allows a protocol below TLS 1.2. Kestrel
/// configures its endpoints one at a time: the endpoint defaults (<see cref="Observe"/>) run first, then, for an HTTPS
/// endpoint, the HTTPS defaults, which are ours unless a later <c>ConfigureHttpsDefaults(...)</c> call replaced them. An
/// HTTPS endpoint that our HTTPS defaults (or <c>UseMutualTls()</c>) never reached would judge client certificates with
/// whatever that later call set (the OS store, no intermediates): every valid client refused, or worse. The options are
/// checked once Kestrel has bound, when endpoint configuration (<c>Kestrel:Endpoints:{name}:SslProtocols</c>) has been applied.
/// </summary>
internal sealed class HttpsEndpointCheck : IHostedLifecycleService
{
    // Ssl2 | Ssl3 | Tls | Tls11: numeric, as the names are obsolete.
    private const SslProtocols BelowTls12 = (SslProtocols)(12 | 48 | 192 | 768);

    private readonly Lock _gate = new();
    private readonly List<ListenOptions> _endpoints = [];
    private readonly Dictionary<ListenOptions, HttpsConnectionAdapterOptions> _wired = [];
    private ListenOptions? _configuring;

    /// <summary>Called from the endpoint defaults, for every endpoint, just before its HTTPS options (if any) are built.</summary>
    public void Observe(ListenOptions endpoint)
    {
        lock (_gate)
        {
            _endpoints.Add(endpoint);
            _configuring = endpoint;
        }
    }

    /// <summary>Called when our HTTPS defaults configure the endpoint Kestrel is building now.</summary>
    public void WiredByDefaults(HttpsConnectionAdapterOptions https)
    {
        lock (_gate)
        {
            if (_configuring is not null)
            {
                _wired[_configuring] = https;
            }
        }
    }

    /// <summary>Called by <c>UseMutualTls()</c> for its endpoint.</summary>
    public void Wired(ListenOptions endpoint, HttpsConnectionAdapterOptions https)
    {
        lock (_gate)
        {
            _wired[endpoint] = https;
        }
    }

    public Task StartedAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            foreach (var endpoint in _endpoints)
            {
                // ListenOptions.ToString() is its display name: https://127.0.0.1:5001 once UseHttps ran on it.
                var name = endpoint.ToString() ?? string.Empty;
                if (!name.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
                {
                    continue;
                }

                if (!_wired.TryGetValue(endpoint, out var https))
                {
                    throw new InvalidOperationException(
                        $"The HTTPS endpoint {name} is not mutual TLS: a KestrelServerOptions.ConfigureHttpsDefaults(...) call registered after AddMutualTls() replaced the HTTPS defaults AddMutualTls() set " +
                        "(Kestrel keeps only the last one), so this endpoint would judge client certificates with that call's settings (ClientCertificateMode, ClientCertificateValidation: the OS store, without the client's intermediates) and every valid client would be refused. " +
                        "Remove that ConfigureHttpsDefaults call (AddMutualTls() sets the server certificate, client certificate mode and validation), or serve the endpoint with listenOptions.UseMutualTls(). " +
                        "(An endpoint set up with UseHttps(TlsHandshakeCallbackOptions) or its own TLS middleware never takes the HTTPS defaults either: use UseMutualTls() there too.)");
                }

                if ((https.SslProtocols & BelowTls12) != 0)
                {
                    throw new InvalidOperationException(
                        $"The HTTPS endpoint {name} allows {https.SslProtocols}: mutual TLS needs TLS 1.2 or 1.3, and SslStream on this platform cannot complete a handshake below TLS 1.2. " +
                        "Remove Kestrel:EndpointDefaults:SslProtocols or Kestrel:Endpoints:{name}:SslProtocols (or HttpsConnectionAdapterOptions.SslProtocols in code), or set it to Tls12 and Tls13 only.");
                }
            }
        }

        return Task.CompletedTask;
    }

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
