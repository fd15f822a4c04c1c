using Microsoft.Extensions.Hosting;

namespace Mtls.Extensions.Http.Internal;

/// <summary>Loads every registered client's certificate and trust bundle when the host starts, so a bad file stops start-up with a message naming its key.</summary>
internal sealed class MtlsHttpClientsWarmup(IEnumerable<MtlsHttpClientRegistration> registrations, MtlsClientHandlerPools pools) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (var registration in registrations.DistinctBy(r => r.Name))
        {
            pools.Get(registration.Name);
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
