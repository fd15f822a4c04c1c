using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Mtls.Extensions.Internal;

namespace Mtls.Extensions.Http.Internal;

/// <summary>
/// Loads every registered client's certificate and trust bundle when the host starts, so a bad file stops start-up with a
/// message naming its key; refuses a <c>Mtls:Clients:{name}</c> section no registered client reads (a misspelt name would
/// leave its ExpectedServer pin unapplied, silently); logs each client's effective ExpectedServer.
/// </summary>
internal sealed class MtlsHttpClientsWarmup(
    IEnumerable<MtlsHttpClientRegistration> registrations,
    MtlsClientHandlerPools pools,
    IOptionsMonitor<MtlsHttpClientOptions> options,
    IServiceProvider services) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        var names = registrations.Select(r => r.Name).Distinct(StringComparer.Ordinal).ToArray();
        ThrowOnUnreadClientSections(services.GetService(typeof(IConfiguration)) as IConfiguration, names, name => options.Get(name).ConfigurationPath);
        var logger = (services.GetService(typeof(ILoggerFactory)) as ILoggerFactory)?.CreateLogger<MtlsHttpClientsWarmup>() ?? NullLogger<MtlsHttpClientsWarmup>.Instance;
        foreach (var name in names)
        {
            pools.Get(name);
            var expected = options.Get(name).ExpectedServer;
            Log.ExpectedServer(logger, name, string.IsNullOrWhiteSpace(expected) ? "(not set: the request host, matched against the certificate's DNS/IP SANs)" : expected, options.Get(name).ConfigurationPath);
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Throws when <c>Mtls:Clients</c> has a child that no registered client binds, naming it and the registered clients.</summary>
    internal static void ThrowOnUnreadClientSections(IConfiguration? root, IReadOnlyCollection<string> names, Func<string, string> pathOf)
    {
        if (root is null)
        {
            return;
        }

        var read = names.Select(pathOf).ToHashSet(StringComparer.OrdinalIgnoreCase);
        var unread = NonEmptyConfiguration.Wrap(root.GetSection(MtlsHttpClientDefaults.ConfigurationSection)).GetChildren()
            .Select(c => $"{MtlsHttpClientDefaults.ConfigurationSection}:{c.Key}")
            .Where(path => !read.Contains(path))
            .ToArray();
        if (unread.Length == 0)
        {
            return;
        }

        var registered = names.Count == 0 ? "none" : string.Join(", ", names.Select(n => $"'{n}' ({pathOf(n)})"));
        throw new InvalidOperationException(
            $"{string.Join(", ", unread)}: no registered mTLS client reads this configuration section, so none of its keys (ExpectedServer, Certificate, TrustedCa) apply. " +
            $"Registered clients: {registered}. A client reads {MtlsHttpClientDefaults.ConfigurationSection}:{{name}} for the name given to AddMtlsHttpClient(name): fix the section's name, or register the client it belongs to.");
    }
}
