using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Mtls.Extensions.AspNetCore.Internal;

namespace Microsoft.AspNetCore.Hosting;

/// <summary>Makes an explicit Kestrel endpoint mutual TLS.</summary>
public static class MutualTlsListenOptionsExtensions
{
    /// <summary>
    /// Serves HTTPS with mutual TLS on this endpoint, exactly as <c>AddMutualTls()</c> configures the HTTPS defaults:
    /// the current server certificate per handshake, client certificates judged against the pinned CAs during the handshake.
    /// </summary>
    /// <param name="listenOptions">The endpoint.</param>
    /// <returns>The endpoint.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="listenOptions"/> is <see langword="null"/>.</exception>
    /// <exception cref="InvalidOperationException"><c>AddMutualTls()</c> was not called.</exception>
    public static ListenOptions UseMutualTls(this ListenOptions listenOptions)
    {
        ArgumentNullException.ThrowIfNull(listenOptions);
        var server = listenOptions.ApplicationServices.GetService<MutualTlsServer>()
            ?? throw new InvalidOperationException("UseMutualTls() needs services.AddMutualTls() (or builder.AddMutualTls()).");
        listenOptions.ApplicationServices.GetRequiredService<HandshakeFailureObserver>().Observe(listenOptions);
        var endpoints = listenOptions.ApplicationServices.GetRequiredService<HttpsEndpointCheck>();
        return listenOptions.UseHttps(https =>
        {
            endpoints.Wired(listenOptions, https);
            server.ConfigureHttps(https);
        });
    }
}
