using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Mtls.Extensions.AspNetCore.Internal;

/// <summary>
/// Stops start-up when <c>AddMutualTls()</c> is on an app whose every endpoint is plain <c>http://</c>: such an app would
/// serve its endpoints in cleartext, with no client certificate at all. <see cref="MutualTlsOptions.AllowPlainHttpEndpoints"/>
/// allows it explicitly (TLS terminated in front of the app, or a plain port for health probes).
/// </summary>
internal sealed class PlainHttpEndpointCheck(IServer server, IOptions<MutualTlsOptions> options) : IHostedLifecycleService
{
    public Task StartedAsync(CancellationToken cancellationToken)
    {
        var addresses = server.Features.Get<IServerAddressesFeature>()?.Addresses;
        if (options.Value.AllowPlainHttpEndpoints || addresses is null || addresses.Count == 0)
        {
            // No addresses: a server that listens on none (an in-memory test server) has nothing served in cleartext.
            return Task.CompletedTask;
        }

        foreach (var address in addresses)
        {
            if (!address.StartsWith("http://", StringComparison.OrdinalIgnoreCase))
            {
                return Task.CompletedTask;
            }
        }

        throw new InvalidOperationException(
            $"AddMutualTls() is configured but every endpoint of the app is plain HTTP ({string.Join(", ", addresses)}): nothing would be protected by mutual TLS and every endpoint would be served in cleartext. " +
            $"Listen on https:// (for example --urls https://+:8443, or listenOptions.UseMutualTls()), or set {options.Value.ConfigurationPath}:AllowPlainHttpEndpoints to true when TLS is terminated in front of the app.");
    }

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
