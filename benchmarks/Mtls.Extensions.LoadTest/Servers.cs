using System.Diagnostics.Metrics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using System.Net;
using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Https;

namespace Mtls.Extensions.LoadTest;

/// <summary>The three servers under test, each run in its own process pinned to one core.</summary>
internal static class Servers
{
    public const string BenchId = "spiffe://example.org/ns/default/sa/bench";

    public static async Task<int> RunAsync(string mode, string directory)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        var ca = X509CertificateLoader.LoadCertificateFromFile(Path.Combine(directory, "ca.pem"));
        var server = X509Certificate2.CreateFromPemFile(Path.Combine(directory, "server.pem"), Path.Combine(directory, "server.key"));
        var chain = new X509Certificate2Collection();
        chain.ImportFromPemFile(Path.Combine(directory, "server.pem"));
        var intermediates = new X509Certificate2Collection(chain.Cast<X509Certificate2>().Skip(1).ToArray());
        long validations = 0;

        if (mode == "b-core")
        {
            builder.Services.AddMtlsCore();
        }

        if (mode == "b-authz")
        {
            builder.Services.AddAuthorization();
            builder.Services.AddAuthentication();
        }

        if (mode is "a-svc" or "b-svc")
        {
            // Diagnostic: the library's services registered, the naive TLS wiring of (a).
            builder.Services.AddMutualTls(o =>
            {
                o.Certificate.Path = Path.Combine(directory, "server.pem");
                o.Certificate.KeyPath = Path.Combine(directory, "server.key");
                o.TrustedCa.Path = Path.Combine(directory, "ca.pem");
            });
        }

        switch (mode.Contains('-', StringComparison.Ordinal) && mode[0] != 'c' ? mode[..1] : mode)
        {
            case "a":
                // (a) The naive way: Kestrel requires a certificate, SslStream builds a default chain, the callback builds a pinned one.
                builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, lo => lo.UseHttps(h =>
                {
                    h.ServerCertificate = server;
                    h.ServerCertificateChain = intermediates;
                    h.SslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13;
                    h.ClientCertificateMode = ClientCertificateMode.RequireCertificate;
                    h.CheckCertificateRevocation = false;
                    h.ClientCertificateValidation = (certificate, sent, _) =>
                    {
                        using var own = new X509Chain();
                        own.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                        own.ChainPolicy.CustomTrustStore.Add(ca);
                        own.ChainPolicy.DisableCertificateDownloads = true;
                        own.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                        if (sent is not null)
                        {
                            own.ChainPolicy.ExtraStore.AddRange(sent.ChainPolicy.ExtraStore);
                        }

                        Interlocked.Increment(ref validations);
                        return own.Build(certificate);
                    };
                })));
                break;
            case "b":
                // (b) The chain policy given to SslStream: one chain build per handshake, no identity or authorization.
                var context = SslStreamCertificateContext.Create(server, intermediates, offline: true);
                var policy = new X509ChainPolicy
                {
                    TrustMode = X509ChainTrustMode.CustomRootTrust,
                    DisableCertificateDownloads = true,
                    RevocationMode = X509RevocationMode.NoCheck,
                };
                policy.CustomTrustStore.Add(ca);
                policy.ApplicationPolicy.Add(new System.Security.Cryptography.Oid("1.3.6.1.5.5.7.3.2"));
                builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, lo => lo.UseHttps(new TlsHandshakeCallbackOptions
                {
                    OnConnection = _ => ValueTask.FromResult(new SslServerAuthenticationOptions
                    {
                        ServerCertificateContext = context,
                        ClientCertificateRequired = true,
                        EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
                        CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
                        CertificateChainPolicy = policy.Clone(),
                        RemoteCertificateValidationCallback = (_, _, _, errors) =>
                        {
                            Interlocked.Increment(ref validations);
                            return errors == SslPolicyErrors.None;
                        },
                    }),
                })));
                break;
            case "c":
            case "c-noauth":
            case "c-bare":
                // (c) The library: AddMutualTls(), authentication, claims and an authorization policy on the SPIFFE ID.
                builder.Services.AddMutualTls(o =>
                {
                    o.Certificate.Path = Path.Combine(directory, "server.pem");
                    o.Certificate.KeyPath = Path.Combine(directory, "server.key");
                    o.TrustedCa.Path = Path.Combine(directory, "ca.pem");
                });
                builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, lo => lo.UseMutualTls()));
                break;
            default:
                throw new ArgumentException($"unknown server mode '{mode}'; use a, b or c");
        }

        var app = builder.Build();
        using var listener = new MeterListener();
        if (mode.StartsWith('c'))
        {
            listener.InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == MtlsDiagnostics.MeterName && instrument.Name == MtlsDiagnostics.ValidationsInstrument)
                {
                    l.EnableMeasurementEvents(instrument);
                }
            };
            listener.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref validations, value));
            listener.Start();
            if (mode != "c-bare")
            {
                app.UseAuthentication();
                app.UseAuthorization();
            }

            var ping = app.MapGet("/ping", () => Results.Text("ok"));
            if (mode == "c")
            {
                ping.RequireMtlsPeer(BenchId);
            }
        }
        else
        {
            app.MapGet("/ping", () => Results.Text("ok"));
        }

        var validator = app.Services.GetService<PeerCertificateValidator>();
        app.MapGet("/stats", () => Results.Text($"{Interlocked.Read(ref validations)} {validator?.OwnChainBuilds ?? 0}"));
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        Console.WriteLine($"LISTENING {new Uri(address).Port}");
        Console.Out.Flush();

        // Runs until the orchestrator closes our stdin.
        await Console.In.ReadToEndAsync();
        await app.StopAsync();
        return 0;
    }
}
