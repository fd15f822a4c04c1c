using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Security;
using System.Security.Authentication;
using System.Security.Claims;
using System.Security.Cryptography.X509Certificates;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Certificate;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Mtls.Extensions.AspNetCore;

namespace Mtls.Extensions.LoadTest;

/// <summary>
/// The servers of the side-by-side comparison with the official certificate handler (<c>compare</c>), each run in its own
/// process pinned to one core. All serve <c>GET /ping</c>; every mode but <c>cmp-bare</c> requires an authenticated user
/// there (<c>RequireAuthorization()</c>, the default scheme set to the scheme under test).
/// </summary>
internal static class ComparisonServers
{
    public static readonly string[] Modes = ["cmp-bare", "cmp-floor", "cmp-official", "cmp-official-cache", "cmp-mtls", "cmp-compat"];

    public const string FloorScheme = "Floor";

    public static bool Handles(string mode) => Modes.Contains(mode);

    public static async Task<int> RunAsync(string mode, string directory)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        var root = X509CertificateLoader.LoadCertificateFromFile(Path.Combine(directory, "ca.pem"));
        var issuing = X509CertificateLoader.LoadCertificateFromFile(Path.Combine(directory, "issuing.pem"));
        var serverPem = Path.Combine(directory, "server.pem");
        var serverKey = Path.Combine(directory, "server.key");
        var authenticated = mode != "cmp-bare";

        switch (mode)
        {
            case "cmp-bare":
                // (1) Bare Kestrel handing SslStream the pinned chain policy: one chain build per handshake, no authentication.
                UsePinnedTls(builder, root, serverPem, serverKey);
                break;
            case "cmp-floor":
                // (2) The same plus a scheme that returns one prebuilt ticket: the least an authenticated endpoint costs.
                UsePinnedTls(builder, root, serverPem, serverKey);
                builder.Services.AddAuthentication(FloorScheme).AddScheme<AuthenticationSchemeOptions, FloorHandler>(FloorScheme, null);
                break;
            case "cmp-official":
            case "cmp-official-cache":
                // (3)/(4) The official handler as its users configure it for a private CA whose clients send intermediates.
                UsePinnedTls(builder, root, serverPem, serverKey);
                var official = builder.Services.AddAuthentication(CertificateAuthenticationDefaults.AuthenticationScheme).AddCertificate(o =>
                {
                    o.ChainTrustValidationMode = X509ChainTrustMode.CustomRootTrust;
                    o.CustomTrustStore.Add(root);
                    o.AdditionalChainCertificates.Add(issuing);
                    o.RevocationMode = X509RevocationMode.NoCheck;
                });
                if (mode == "cmp-official-cache")
                {
                    official.AddCertificateCache();
                }

                break;
            case "cmp-mtls":
            case "cmp-compat":
                // (5) AddMutualTls(); (6) the same answering for the official scheme (AddCertificateCompatibility()).
                var scheme = mode == "cmp-mtls" ? MutualTlsDefaults.AuthenticationScheme : CertificateAuthenticationDefaults.AuthenticationScheme;
                builder.Services.AddAuthentication(scheme);
                var mtls = builder.Services.AddMutualTls(o =>
                {
                    o.Certificate.Path = serverPem;
                    o.Certificate.KeyPath = serverKey;
                    o.TrustedCa.Path = Path.Combine(directory, "ca.pem");
                });
                if (mode == "cmp-compat")
                {
                    mtls.AddCertificateCompatibility();
                }

                builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, lo => lo.UseMutualTls()));
                break;
            default:
                throw new ArgumentException($"unknown comparison mode '{mode}'; use one of {string.Join(", ", Modes)}");
        }

        if (authenticated)
        {
            builder.Services.AddAuthorization();
        }

        var app = builder.Build();
        long validations = 0;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == MtlsDiagnostics.MeterName && instrument.Name == MtlsDiagnostics.ValidationsInstrument)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref validations, value));
        listener.Start();

        var ping = app.MapGet("/ping", () => Results.Text("ok"));
        if (authenticated)
        {
            app.UseAuthentication();
            app.UseAuthorization();
            ping.RequireAuthorization();
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

    /// <summary>Kestrel handing SslStream the server certificate context and the pinned client chain policy (as server (b)).</summary>
    private static void UsePinnedTls(WebApplicationBuilder builder, X509Certificate2 root, string serverPem, string serverKey)
    {
        var server = X509Certificate2.CreateFromPemFile(serverPem, serverKey);
        var chain = new X509Certificate2Collection();
        chain.ImportFromPemFile(serverPem);
        var context = SslStreamCertificateContext.Create(server, new X509Certificate2Collection(chain.Cast<X509Certificate2>().Skip(1).ToArray()), offline: true);
        var policy = new X509ChainPolicy
        {
            TrustMode = X509ChainTrustMode.CustomRootTrust,
            DisableCertificateDownloads = true,
            RevocationMode = X509RevocationMode.NoCheck,
        };
        policy.CustomTrustStore.Add(root);
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
                RemoteCertificateValidationCallback = (_, _, _, errors) => errors == SslPolicyErrors.None,
            }),
        })));
    }

    /// <summary>The "auth floor": a scheme that returns one prebuilt ticket, written as every scheme is (AuthenticationHandler).</summary>
    private sealed class FloorHandler(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder)
        : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
    {
        private static readonly Task<AuthenticateResult> Ticket = Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(
            new ClaimsPrincipal(new ClaimsIdentity([new Claim(ClaimTypes.Name, "bench")], FloorScheme)), FloorScheme)));

        protected override Task<AuthenticateResult> HandleAuthenticateAsync() => Ticket;
    }
}
