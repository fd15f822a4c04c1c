using System.Net;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Mtls.Extensions.Testing;

namespace Mtls.Extensions.Http.Tests;

/// <summary>
/// A real Kestrel server on 127.0.0.1:0 for the client tests: either the library's own mTLS server (AddMutualTls) or bare
/// Kestrel requiring a client certificate. Counts TCP connections (one per handshake attempt) and requests.
/// </summary>
public sealed class TestServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _connections;
    private int _flakyHits;
    private int _requests;

    private TestServer(WebApplication app) => _app = app;

    public Uri BaseAddress { get; private set; } = null!;

    public IServiceProvider Services => _app.Services;

    /// <summary>Gets the TCP connections accepted so far (each is one handshake attempt).</summary>
    public int Connections => Volatile.Read(ref _connections);

    public int Requests => Volatile.Read(ref _requests);

    public int FlakyHits => Volatile.Read(ref _flakyHits);

    /// <summary>Gets or sets how many times /flaky answers 503 before 200.</summary>
    public int FlakyFailures { get; set; } = 2;

    /// <summary>Starts the library's mTLS server with the given server certificate files and CA bundle path.</summary>
    public static Task<TestServer> StartMtlsAsync(string certificatePath, string keyPath, string caPath, SslProtocols protocols = SslProtocols.None) =>
        StartMtlsAsync(
            o =>
            {
                o.Certificate.Path = certificatePath;
                o.Certificate.KeyPath = keyPath;
                o.TrustedCa.Path = caPath;
            },
            protocols);

    /// <summary>Starts the library's mTLS server configured by <paramref name="configure"/>.</summary>
    public static Task<TestServer> StartMtlsAsync(Action<Mtls.Extensions.AspNetCore.MutualTlsOptions> configure, SslProtocols protocols = SslProtocols.None) =>
        StartAsync(
            builder => builder.Services.AddMutualTls(o =>
            {
                o.Reload.DebounceDelay = TimeSpan.FromMilliseconds(20);
                configure(o);
            }),
            (listen, _) =>
            {
                if (protocols != SslProtocols.None)
                {
                    listen.UseHttps(h =>
                    {
                        h.SslProtocols = protocols;
                        listen.ApplicationServices.GetRequiredService<Mtls.Extensions.AspNetCore.Internal.MutualTlsServer>().ConfigureHttps(h);
                    });
                }
                else
                {
                    listen.UseMutualTls();
                }
            });

    /// <summary>Starts bare Kestrel serving <paramref name="server"/> and requiring any client certificate that chains to <paramref name="clientRoot"/>.</summary>
    public static Task<TestServer> StartBareAsync(TestCertificate server, X509Certificate2 clientRoot, SslProtocols protocols) =>
        StartAsync(_ => { }, (listen, _) => listen.UseHttps(h =>
        {
            h.ServerCertificateChain = server.IntermediatesCollection();
            h.ServerCertificate = server.Certificate;
            h.SslProtocols = protocols;
            h.ClientCertificateMode = ClientCertificateMode.RequireCertificate;
            h.ClientCertificateValidation = (certificate, _, _) =>
            {
                using var chain = new X509Chain();
                chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                chain.ChainPolicy.CustomTrustStore.Add(clientRoot);
                chain.ChainPolicy.DisableCertificateDownloads = true;
                chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                return chain.Build(certificate);
            };
        }));

    private static async Task<TestServer> StartAsync(Action<WebApplicationBuilder> configure, Action<Microsoft.AspNetCore.Server.Kestrel.Core.ListenOptions, TestServer> https)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        configure(builder);
        TestServer? server = null;
        var holder = new TestServer[1];
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, listen =>
        {
            listen.Use(next => async connection =>
            {
                Interlocked.Increment(ref holder[0]._connections);
                await next(connection);
            });
            https(listen, holder[0]);
        }));
        var app = builder.Build();
        server = new TestServer(app);
        holder[0] = server;
        app.Use(async (context, next) =>
        {
            Interlocked.Increment(ref server._requests);
            await next(context);
        });
        app.MapGet("/whoami", (HttpContext context) =>
        {
            var certificate = context.Connection.ClientCertificate;
            return Results.Text(certificate is null ? "anonymous" : certificate.GetCertHashString(System.Security.Cryptography.HashAlgorithmName.SHA256));
        });
        app.MapGet("/flaky", () => Interlocked.Increment(ref server._flakyHits) <= server.FlakyFailures
            ? Results.StatusCode(StatusCodes.Status503ServiceUnavailable)
            : Results.Text("recovered"));
        app.MapGet("/slow", async (HttpContext context) =>
        {
            context.Response.ContentType = "text/plain";
            for (var i = 0; i < 10; i++)
            {
                await context.Response.WriteAsync($"chunk {i}\n");
                await context.Response.Body.FlushAsync();
                await Task.Delay(50);
            }
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server.BaseAddress = new Uri(address.Replace("[::]", "127.0.0.1", StringComparison.Ordinal));
        return server;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
