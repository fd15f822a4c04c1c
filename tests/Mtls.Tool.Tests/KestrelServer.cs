using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Logging;
using Mtls.Extensions.Testing;

namespace Mtls.Tool.Tests;

/// <summary>The library's server (AddMutualTls) on real Kestrel at 127.0.0.1:0, configured only by an appsettings.json file.</summary>
public sealed class KestrelServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly MetricCollector<long> _validations;

    private KestrelServer(WebApplication app, Uri address)
    {
        _app = app;
        Address = address;
        _validations = new MetricCollector<long>(app.Services.GetRequiredService<IMeterFactory>(), Extensions.MtlsDiagnostics.MeterName, Extensions.MtlsDiagnostics.ValidationsInstrument);
    }

    public Uri Address { get; }

    public static async Task<KestrelServer> StartAsync(string appSettingsPath, IDictionary<string, string?>? overrides = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Configuration.Sources.Clear();
        builder.Configuration.AddJsonFile(appSettingsPath, optional: false);
        builder.Configuration.AddInMemoryCollection(overrides ?? new Dictionary<string, string?>());
        builder.Services.AddMutualTls();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, listen => listen.UseMutualTls()));
        var app = builder.Build();
        app.MapGet("/", () => Results.Text("ok"));
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new KestrelServer(app, new Uri(address));
    }

    /// <summary>One request on a new connection with <paramref name="client"/>; the server's verdict (None when accepted) from its validations metric.</summary>
    public Task<string> VerdictAsync(TestCertificate client, bool sendIntermediates = true) =>
        VerdictAsync(client.Certificate, sendIntermediates ? client.IntermediatesCollection() : []);

    public async Task<string> VerdictAsync(X509Certificate2 client, X509Certificate2Collection intermediates)
    {
        _validations.Clear();
        using var handler = new SocketsHttpHandler
        {
            SslOptions = new SslClientAuthenticationOptions
            {
                ClientCertificateContext = SslStreamCertificateContext.Create(client, intermediates, offline: true),
                RemoteCertificateValidationCallback = (_, _, _, _) => true,
            },
        };
        using var http = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(15) };
        bool accepted;
        try
        {
            accepted = (await http.GetAsync(Address)).StatusCode == HttpStatusCode.OK;
        }
        catch (HttpRequestException)
        {
            accepted = false;
        }

        var reasons = _validations.GetMeasurementSnapshot()
            .Select(m => m.Tags.TryGetValue("error.type", out var r) ? r as string : null)
            .OfType<string>()
            .ToArray();
        return accepted ? "None" : reasons.FirstOrDefault() ?? "(rejected, no reason counted)";
    }

    public async ValueTask DisposeAsync()
    {
        _validations.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
