using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Mtls.Extensions.AspNetCore.Internal;

/// <summary>
/// Stops start-up when the official certificate scheme (<c>AddCertificate()</c>) is registered next to <c>AddMutualTls()</c>
/// without <c>AddCertificateCompatibility()</c>: its handler would build chains from the OS store without the client's
/// intermediates and, as the default scheme, refuse every valid client, while the mutual TLS handshake accepted it.
/// </summary>
internal sealed class OfficialCertificateSchemeCheck(IOptions<AuthenticationOptions> options) : IHostedLifecycleService
{
    private const string OfficialHandler = "Microsoft.AspNetCore.Authentication.Certificate.CertificateAuthenticationHandler";

    public Task StartingAsync(CancellationToken cancellationToken)
    {
        var official = options.Value.Schemes.Where(s => s.HandlerType?.FullName == OfficialHandler).Select(s => s.Name).ToArray();
        if (official.Length > 0)
        {
            var scheme = official[0];
            throw new InvalidOperationException(
                $"The authentication scheme '{scheme}' is the official certificate handler (AddCertificate()) next to AddMutualTls(): it validates client certificates again against the OS store, without the intermediates the client sent, so it would refuse clients the mutual TLS handshake accepted. " +
                $"Add .AddCertificateCompatibility() after .AddCertificate() (services.AddAuthentication(...).AddCertificate(...).AddCertificateCompatibility()) so the '{scheme}' scheme answers from the handshake with its options and events kept, or remove AddCertificate().");
        }

        return Task.CompletedTask;
    }

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
