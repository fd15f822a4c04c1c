using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;

namespace Mtls.Extensions.AspNetCore.Internal;

/// <summary>Makes every HTTPS endpoint that takes Kestrel's HTTPS defaults (--urls, ASPNETCORE_URLS, Kestrel config, UseHttps()) mutual TLS.</summary>
internal sealed class ConfigureKestrelForMutualTls(MutualTlsServer server, HandshakeFailureObserver handshakes) : IConfigureOptions<KestrelServerOptions>
{
    public void Configure(KestrelServerOptions options)
    {
        options.ConfigureHttpsDefaults(server.ConfigureHttps);
        // Endpoint defaults run before an endpoint's UseHttps: the observer sees the handshake's outcome.
        options.ConfigureEndpointDefaults(handshakes.Observe);
    }
}
