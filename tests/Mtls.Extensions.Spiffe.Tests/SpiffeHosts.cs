using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Primitives;
using Mtls.Extensions.Infrastructure;

namespace Mtls.Extensions.Spiffe.Tests;

/// <summary>The library's server (AddMutualTls + AddMtlsSpiffe) on real Kestrel at 127.0.0.1:0, configured only by keys.</summary>
public sealed class SpiffeServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private SpiffeServer(WebApplication app, Uri baseAddress)
    {
        _app = app;
        BaseAddress = baseAddress;
    }

    public Uri BaseAddress { get; }

    public IServiceProvider Services => _app.Services;

    /// <param name="settings">The configuration keys.</param>
    /// <param name="environmentPrefix">When set, environment variables with this prefix are read too, exactly as an operator writes them (<c>Mtls__Server__…</c>).</param>
    public static async Task<SpiffeServer> StartAsync(IDictionary<string, string?> settings, string? environmentPrefix = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        // Only the test's keys: not the machine's environment, not the sample's appsettings.json copied next to the tests.
        builder.Configuration.Sources.Clear();
        builder.Configuration.AddInMemoryCollection(settings);
        if (environmentPrefix is not null)
        {
            builder.Configuration.AddEnvironmentVariables(environmentPrefix);
        }

        builder.Services.AddMutualTls();
        builder.Services.AddMtlsSpiffe();
        builder.Services.AddHealthChecks().AddMtlsCertificates();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, listen => listen.UseMutualTls()));
        var app = builder.Build();
        app.MapGet("/whoami", (HttpContext context) => Results.Text(context.Connection.ClientCertificate?.GetCertHashString(HashAlgorithmName.SHA256) ?? "anonymous"));
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new SpiffeServer(app, new Uri(address.Replace("127.0.0.1", "localhost", StringComparison.Ordinal)));
    }

    /// <summary>The server's certificate source (the factory caches it by name).</summary>
    public ICertificateSource CertificateSource(string socket) =>
        Services.GetRequiredService<MtlsSourceFactory>().GetCertificateSource("server", new CertificateSourceOptions { WorkloadApi = { Socket = socket } });

    /// <summary>One fresh TLS handshake; returns the server certificate it presented.</summary>
    public async Task<X509Certificate2> HandshakeAsync(X509Certificate2 clientCertificate)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, BaseAddress.Port);
        await using var ssl = new SslStream(tcp.GetStream());
        X509Certificate2? presented = null;
        await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = "localhost",
            ClientCertificateContext = SslStreamCertificateContext.Create(clientCertificate, null, offline: true),
            RemoteCertificateValidationCallback = (_, certificate, _, _) =>
            {
                presented = X509CertificateLoader.LoadCertificate(certificate!.GetRawCertData());
                return true;
            },
        });
        return presented!;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

/// <summary>A client-only container: AddMtlsHttpClient("inventory") + AddMtlsSpiffe, configured only by keys.</summary>
public sealed class SpiffeClient : IDisposable
{
    private readonly ServiceProvider _services;
    private readonly SemaphoreSlim _logged = new(0);

    public SpiffeClient(IDictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddLogging(l => l.AddFakeLogging(o => o.OutputSink = _ => _logged.Release()));
        services.AddMtlsSpiffe();
        services.AddMtlsHttpClient("inventory");
        _services = services.BuildServiceProvider();
    }

    public IServiceProvider Services => _services;

    public HttpClient CreateClient() => _services.GetRequiredService<IHttpClientFactory>().CreateClient("inventory");

    /// <summary>Waits until the client has logged a record that <paramref name="match"/> accepts (woken by each record, no polling).</summary>
    public async Task WaitForLogAsync(Func<FakeLogRecord, bool> match, TimeSpan timeout, string what)
    {
        var logs = _services.GetFakeLogCollector();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (!logs.GetSnapshot().Any(match))
        {
            var left = timeout - clock.Elapsed;
            if (left <= TimeSpan.Zero || !await _logged.WaitAsync(left))
            {
                throw new TimeoutException($"{what} did not happen within {timeout.TotalSeconds} s.");
            }
        }
    }

    public ICertificateSource CertificateSource(string socket) =>
        _services.GetRequiredService<MtlsSourceFactory>().GetCertificateSource("client:inventory", new CertificateSourceOptions { WorkloadApi = { Socket = socket } });

    public void Dispose() => _services.Dispose();
}

public static class ChangeTokens
{
    /// <summary>Completes when the token fires.</summary>
    public static Task Next(IChangeToken token)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        token.RegisterChangeCallback(static s => ((TaskCompletionSource)s!).TrySetResult(), done);
        return done.Task;
    }
}

/// <summary>Requests in a loop from several workers; every failure is kept.</summary>
public sealed class LoadLoop : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task[] _workers;
    private readonly List<Exception> _failures = [];
    private int _succeeded;

    public LoadLoop(HttpClient client, int workers = 4)
    {
        _workers = Enumerable.Range(0, workers).Select(_ => Task.Run(async () =>
        {
            while (!_stop.IsCancellationRequested)
            {
                try
                {
                    using var response = await client.GetAsync("/whoami");
                    response.EnsureSuccessStatusCode();
                    Interlocked.Increment(ref _succeeded);
                }
                catch (Exception ex) when (!_stop.IsCancellationRequested)
                {
                    lock (_failures)
                    {
                        _failures.Add(ex);
                    }
                }
                catch (Exception) when (_stop.IsCancellationRequested)
                {
                }
            }
        })).ToArray();
    }

    public int Succeeded => Volatile.Read(ref _succeeded);

    public IReadOnlyList<Exception> Failures
    {
        get
        {
            lock (_failures)
            {
                return [.. _failures];
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_workers);
        _stop.Dispose();
    }
}
