using System.Diagnostics;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Primitives;
using Mtls.Extensions.AspNetCore.Internal;
using Mtls.Extensions.Http.Internal;
using Mtls.Extensions.Testing;
using Xunit;
using Xunit.Abstractions;

namespace Mtls.Extensions.Http.Tests;

/// <summary>
/// Rotation end to end: files change on disk, the server serves the new certificate on the next handshake, the client
/// recycles its primary handler, and requests under continuous load never fail.
/// </summary>
public sealed class ClientRotationTests(ClientPki pki, ITestOutputHelper output) : IClassFixture<ClientPki>
{
    private const string Name = "inventory";
    private static readonly TimeSpan PickUpDeadline = TimeSpan.FromSeconds(2);

    [Fact]
    public async Task ClientRotation_NewClientCertificate_PresentedOnNewConnectionsAndOldHandlerDisposed()
    {
        using var rig = await Rig.StartAsync(pki);
        var client = rig.CreateClient();
        Assert.Equal(pki.Orders.ThumbprintSha256, await client.GetStringAsync(new Uri("/whoami", UriKind.Relative)));

        using var renewed = pki.Issuing.IssueClient("orders", ClientPki.OrdersId);
        var elapsed = await rig.RotateClientAsync(renewed);

        Assert.True(elapsed < PickUpDeadline, $"the server saw the new client certificate after {elapsed}");
        Assert.Equal(2, rig.Pool.Generation);
        await Eventually(() => rig.Pool.LiveHandlers == 1, "the old handler is disposed once drained");
        output.WriteLine($"write -> first handshake with the new client certificate: {elapsed.TotalMilliseconds:F0} ms");
    }

    [Fact]
    public async Task ClientRotation_ResponseInFlight_FinishesOnTheOldHandler()
    {
        using var rig = await Rig.StartAsync(pki);
        var client = rig.CreateClient();
        using var response = await client.GetAsync(new Uri("/slow", UriKind.Relative), HttpCompletionOption.ResponseHeadersRead);
        var body = await response.Content.ReadAsStreamAsync();
        using var reader = new StreamReader(body);
        Assert.Equal("chunk 0", await reader.ReadLineAsync());

        using var renewed = pki.Issuing.IssueClient("orders", ClientPki.OrdersId);
        await rig.RotateClientAsync(renewed);
        Assert.Equal(2, rig.Pool.LiveHandlers);

        var rest = await reader.ReadToEndAsync();
        Assert.EndsWith("chunk 9\n", rest, StringComparison.Ordinal);
        reader.Dispose();
        await Eventually(() => rig.Pool.LiveHandlers == 1, "the drained handler is disposed after the body is consumed");
    }

    [Fact]
    public async Task ClientRotation_TrustBundleChanged_HandlerRecycled()
    {
        using var rig = await Rig.StartAsync(pki);
        var client = rig.CreateClient();
        await client.GetStringAsync(new Uri("/whoami", UriKind.Relative));
        using var extra = TestPki.CreateRoot("Next Root");

        FileWriter.WriteAtomically(rig.ClientCaPath, pki.Root.ExportCertificatePem() + extra.ExportCertificatePem());

        await rig.UntilAsync(() => rig.Pool.Generation == 2, "the client recycles its handler when the pinned CAs change");
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(new Uri("/whoami", UriKind.Relative))).StatusCode);
    }

    [Fact]
    public async Task ClientRotation_SixtyRotationsUnderContinuousLoad_NoRequestFails()
    {
        using var rig = await Rig.StartAsync(pki);
        using var handshakes = new Microsoft.Extensions.Diagnostics.Metrics.Testing.MetricCollector<long>(
            rig.Server.Services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(), MtlsDiagnostics.MeterName, MtlsDiagnostics.HandshakesInstrument);
        var client = rig.CreateClient();
        using var stop = new CancellationTokenSource();
        long succeeded = 0;
        long flowingAfter = long.MaxValue;
        var flowing = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var failures = new List<string>();
        var maxLiveHandlers = 0;
        var load = Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    using var response = await client.GetAsync(new Uri("/whoami", UriKind.Relative));
                    await response.Content.ReadAsStringAsync();
                    if (response.StatusCode == HttpStatusCode.OK)
                    {
                        if (Interlocked.Increment(ref succeeded) > Volatile.Read(ref flowingAfter))
                        {
                            flowing.TrySetResult();
                        }
                    }
                    else
                    {
                        lock (failures)
                        {
                            failures.Add($"HTTP {(int)response.StatusCode}");
                        }
                    }
                }
                catch (Exception e)
                {
                    lock (failures)
                    {
                        failures.Add(e.ToString());
                    }
                }

                var live = rig.Pool.LiveHandlers;
                if (live > Volatile.Read(ref maxLiveHandlers))
                {
                    Volatile.Write(ref maxLiveHandlers, live);
                }
            }
        })).ToArray();

        var rotations = 0;
        var clientPickUps = new List<double>();
        var serverPickUps = new List<double>();
        var issuing = pki.Issuing;
        var anchors = new List<TestCertificateAuthority> { pki.Root };
        var owned = new List<IDisposable>();
        try
        {
            for (var round = 0; round < 5; round++)
            {
                for (var i = 0; i < 4; i++)
                {
                    var renewed = issuing.IssueClient("orders", ClientPki.OrdersId);
                    owned.Add(renewed);
                    clientPickUps.Add((await rig.RotateClientAsync(renewed)).TotalMilliseconds);
                    rotations++;

                    var server = issuing.IssueLocalhostServer("inventory", ClientPki.InventoryId);
                    owned.Add(server);
                    serverPickUps.Add((await rig.RotateServerAsync(server)).TotalMilliseconds);
                    rotations++;
                }

                // CA rotation: pin old and new side by side, move both leaves to the new CA, then unpin the old one.
                var nextRoot = TestPki.CreateRoot($"Fleet Root {round + 2}");
                var nextIssuing = nextRoot.CreateIntermediate($"Fleet Issuing CA {round + 2}");
                owned.Add(nextRoot);
                owned.Add(nextIssuing);
                anchors.Add(nextRoot);
                await rig.PinAsync(anchors);
                rotations++;

                issuing = nextIssuing;
                var client2 = issuing.IssueClient("orders", ClientPki.OrdersId);
                var server2 = issuing.IssueLocalhostServer("inventory", ClientPki.InventoryId);
                owned.Add(client2);
                owned.Add(server2);
                clientPickUps.Add((await rig.RotateClientAsync(client2)).TotalMilliseconds);
                serverPickUps.Add((await rig.RotateServerAsync(server2)).TotalMilliseconds);
                rotations += 2;

                anchors.RemoveAt(0);
                await rig.PinAsync(anchors);
                rotations++;
            }

            // Keep the load running across the last swap for a moment's worth of requests.
            var after = Interlocked.Read(ref succeeded);
            Volatile.Write(ref flowingAfter, after + 20);
            await flowing.Task.WaitAsync(TimeSpan.FromSeconds(10)); // requests keep flowing after the last rotation
        }
        finally
        {
            await stop.CancelAsync();
            await Task.WhenAll(load);
            foreach (var d in owned)
            {
                d.Dispose();
            }
        }

        clientPickUps.Sort();
        serverPickUps.Sort();
        output.WriteLine($"rotations: {rotations} ({clientPickUps.Count} client, {serverPickUps.Count} server, 10 CA bundle changes), requests: {succeeded}, failures: {failures.Count}, max live handlers: {maxLiveHandlers}");
        output.WriteLine($"client cert write -> server sees it: median {clientPickUps[clientPickUps.Count / 2]:F0} ms, max {clientPickUps[^1]:F0} ms");
        output.WriteLine($"server cert write -> served on a new handshake: median {serverPickUps[serverPickUps.Count / 2]:F0} ms, max {serverPickUps[^1]:F0} ms");
        var resumed = handshakes.GetMeasurementSnapshot().Count(m => m.Tags["tls.resumed"] is true);
        output.WriteLine($"server handshakes: {handshakes.GetMeasurementSnapshot().Count}, resumed: {resumed}");
        Assert.True(resumed > 0, "with resumption on, some connections resume their session");
        Assert.True(rotations >= 50, $"only {rotations} rotations");
        Assert.True(failures.Count == 0, $"{failures.Count} failed requests; first: {failures.FirstOrDefault()}");
        Assert.True(succeeded > 100, $"only {succeeded} requests ran");
        Assert.InRange(maxLiveHandlers, 1, 3);
        await Eventually(() => rig.Pool.LiveHandlers == 1, "every retired handler is disposed");
    }

    private static async Task Eventually(Func<bool> condition, string what, TimeSpan? timeout = null)
    {
        var deadline = Stopwatch.StartNew();
        while (!condition())
        {
            if (deadline.Elapsed > (timeout ?? TimeSpan.FromSeconds(10)))
            {
                Assert.Fail($"Timed out waiting until {what}.");
            }

            await Task.Delay(10);
        }
    }

    /// <summary>A server and a client, each on watched files in a folder of its own.</summary>
    private sealed class Rig : IDisposable
    {
        private readonly ClientPki _pki;
        private readonly SemaphoreSlim _changed = new(0);
        private readonly List<IDisposable> _subscriptions = [];
        private ServiceProvider? _provider;

        private Rig(ClientPki pki, string directory)
        {
            _pki = pki;
            Directory = directory;
        }

        public string Directory { get; }

        public string ServerDirectory => Path.Combine(Directory, "server");

        public string ClientDirectory => Path.Combine(Directory, "client");

        public string ServerCaPath => Path.Combine(Directory, "server-ca.pem");

        public string ClientCaPath => Path.Combine(Directory, "client-ca.pem");

        public TestServer Server { get; private set; } = null!;

        public MtlsClientHandlerPool Pool => _provider!.GetRequiredService<MtlsClientHandlerPools>().Get(Name);

        public static async Task<Rig> StartAsync(ClientPki pki)
        {
            var rig = new Rig(pki, System.IO.Directory.CreateTempSubdirectory("mtls-rotation-").FullName);
            System.IO.Directory.CreateDirectory(rig.ServerDirectory);
            System.IO.Directory.CreateDirectory(rig.ClientDirectory);
            Write(rig.ServerDirectory, pki.Server);
            Write(rig.ClientDirectory, pki.Orders);
            File.WriteAllText(rig.ServerCaPath, pki.Root.ExportCertificatePem());
            File.WriteAllText(rig.ClientCaPath, pki.Root.ExportCertificatePem());
            rig.Server = await TestServer.StartMtlsAsync(o =>
            {
                o.Certificate.Directory = rig.ServerDirectory;
                o.TrustedCa.Path = rig.ServerCaPath;
            });
            // What the waits below wake on: the server's sources changing, and the client logging (a recycle is logged
            // after the new handler is in place).
            var server = rig.Server.Services.GetRequiredService<MutualTlsServer>();
            rig._subscriptions.Add(ChangeToken.OnChange(server.Certificate.GetChangeToken, rig.Signal));
            rig._subscriptions.Add(ChangeToken.OnChange(server.Trust.GetChangeToken, rig.Signal));
            var services = new ServiceCollection();
            services.AddLogging(l => l.AddFakeLogging(o => o.OutputSink = _ => rig.Signal()));
            services.AddMtlsHttpClient(Name, o =>
            {
                // By host name: SslStream caches client TLS sessions by host name only, so connections resume sessions.
                o.BaseAddress = new UriBuilder(rig.Server.BaseAddress) { Host = "localhost" }.Uri;
                o.Certificate.Directory = rig.ClientDirectory;
                o.TrustedCa.Path = rig.ClientCaPath;
                o.ExpectedServer = ClientPki.InventoryId;
                o.Reload.DebounceDelay = TimeSpan.FromMilliseconds(20);
                o.Resilience.Enabled = false; // a failure must show, not be retried away
            });
            rig._provider = services.BuildServiceProvider();
            return rig;
        }

        public HttpClient CreateClient() => _provider!.GetRequiredService<IHttpClientFactory>().CreateClient(Name);

        private void Signal() => _changed.Release();

        /// <summary>Waits until a condition holds, checking it again each time a server source changes or the client logs (no polling).</summary>
        public async Task UntilAsync(Func<bool> condition, string what)
        {
            var clock = Stopwatch.StartNew();
            while (!condition())
            {
                var left = TimeSpan.FromSeconds(10) - clock.Elapsed;
                if (left <= TimeSpan.Zero || !await _changed.WaitAsync(left))
                {
                    Assert.Fail($"Timed out waiting until {what}.");
                }
            }
        }

        /// <summary>Writes a new client certificate; returns the time until a new request shows the server saw it.</summary>
        public async Task<TimeSpan> RotateClientAsync(TestCertificate certificate)
        {
            var clock = Stopwatch.StartNew();
            Write(ClientDirectory, certificate);
            await UntilAsync(() => Pool.CurrentMaterial.ThumbprintSha256 == certificate.ThumbprintSha256, $"the client recycles to the rotated client certificate {certificate}");
            Assert.Equal(certificate.ThumbprintSha256, await CreateClient().GetStringAsync(new Uri("/whoami", UriKind.Relative)));
            return clock.Elapsed;
        }

        /// <summary>Writes a new server certificate; returns the time until a fresh handshake is served with it.</summary>
        public async Task<TimeSpan> RotateServerAsync(TestCertificate certificate)
        {
            var clock = Stopwatch.StartNew();
            Write(ServerDirectory, certificate);
            var server = Server.Services.GetRequiredService<MutualTlsServer>();
            await UntilAsync(() => server.Certificate.Current.ThumbprintSha256 == certificate.ThumbprintSha256, $"the server loads the rotated certificate {certificate}");
            Assert.Equal(certificate.ThumbprintSha256, await ServedThumbprintAsync());
            return clock.Elapsed;
        }

        /// <summary>Pins exactly these CAs on both sides and waits until both have reloaded them.</summary>
        public async Task PinAsync(List<TestCertificateAuthority> anchors)
        {
            var pem = string.Concat(anchors.Select(a => a.ExportCertificatePem()));
            FileWriter.WriteAtomically(ServerCaPath, pem);
            FileWriter.WriteAtomically(ClientCaPath, pem);
            var server = Server.Services.GetRequiredService<MutualTlsServer>();
            await UntilAsync(
                () => server.Trust.Current.Anchors.Count == anchors.Count && anchors.All(a => server.Trust.Current.Contains(a.Certificate))
                    && Pool.CurrentTrust.Anchors.Count == anchors.Count && anchors.All(a => Pool.CurrentTrust.Contains(a.Certificate)),
                "both sides pin the new CA set");
        }

        public void Dispose()
        {
            foreach (var subscription in _subscriptions)
            {
                subscription.Dispose();
            }

            _provider?.Dispose();
            Server.DisposeAsync().AsTask().GetAwaiter().GetResult();
            try
            {
                System.IO.Directory.Delete(Directory, recursive: true);
            }
            catch (IOException)
            {
            }
        }

        private static void Write(string directory, TestCertificate certificate)
        {
            // cert-manager style: key, then certificate chain, each replaced atomically (the pair may be torn in between).
            FileWriter.WriteAtomically(Path.Combine(directory, "tls.key"), certificate.ExportKeyPem());
            FileWriter.WriteAtomically(Path.Combine(directory, "tls.crt"), certificate.ExportCertificatePem());
        }

        private async Task<string> ServedThumbprintAsync()
        {
            using var tcp = new TcpClient();
            await tcp.ConnectAsync(IPAddress.Loopback, Server.BaseAddress.Port);
            using var ssl = new SslStream(tcp.GetStream());
            string? served = null;
            var options = new SslClientAuthenticationOptions
            {
                TargetHost = "localhost",
                ClientCertificateContext = Pool.CurrentMaterial.Context,
                AllowTlsResume = false,
                RemoteCertificateValidationCallback = (_, certificate, _, _) =>
                {
                    served = certificate is null ? null : Convert.ToHexString(certificate.GetCertHash(HashAlgorithmName.SHA256));
                    return true;
                },
            };
            try
            {
                await ssl.AuthenticateAsClientAsync(options);
            }
            catch (Exception e) when (e is IOException or System.Security.Authentication.AuthenticationException)
            {
            }

            return served ?? string.Empty;
        }
    }
}
