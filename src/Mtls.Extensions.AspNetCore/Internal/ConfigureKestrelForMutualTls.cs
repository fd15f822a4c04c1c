using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;

namespace Mtls.Extensions.AspNetCore.Internal;

/// <summary>Makes every HTTPS endpoint that takes Kestrel's HTTPS defaults (--urls, ASPNETCORE_URLS, Kestrel config, UseHttps()) mutual TLS.</summary>
internal sealed class ConfigureKestrelForMutualTls(MutualTlsServer server, HandshakeFailureObserver handshakes, HttpsEndpointCheck endpoints) : IConfigureOptions<KestrelServerOptions>
{
    public void Configure(KestrelServerOptions options)
    {
        options.ConfigureHttpsDefaults(https =>
        {
            endpoints.WiredByDefaults(https);
            server.ConfigureHttps(https);
        });
        // Endpoint defaults run before an endpoint's UseHttps: the observer sees the handshake's outcome, and the check
        // learns which endpoint the HTTPS defaults configure next.
        options.ConfigureEndpointDefaults(listenOptions =>
        {
            endpoints.Observe(listenOptions);
            handshakes.Observe(listenOptions);
        });
    }
}
