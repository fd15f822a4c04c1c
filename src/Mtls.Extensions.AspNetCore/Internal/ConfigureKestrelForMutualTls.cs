using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;

namespace Mtls.Extensions.AspNetCore.Internal;

/// <summary>Makes every HTTPS endpoint that takes Kestrel's HTTPS defaults (--urls, ASPNETCORE_URLS, Kestrel config, UseHttps()) mutual TLS.</summary>
internal sealed class ConfigureKestrelForMutualTls(MutualTlsServer server) : IConfigureOptions<KestrelServerOptions>
{
    public void Configure(KestrelServerOptions options) => options.ConfigureHttpsDefaults(server.ConfigureHttps);
}
