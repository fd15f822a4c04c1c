using System.Diagnostics;
using System.Globalization;
using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Mtls.Extensions.Testing;

namespace Mtls.Extensions.LoadTest;

/// <summary>
/// Server CPU per resumed handshake vs per full handshake, and per full handshake against bare Kestrel handing SslStream
/// the same pinned chain policy (server b). Every request opens a new connection (<c>Connection: close</c>); the resuming
/// client connects by host name (SslStream caches client sessions by name only) with <c>AllowTlsResume</c> on, the full one
/// with it off. Servers b and c alternate per repetition (b cannot resume this chain), pinned to CPU 0; medians of per-repetition ratios.
/// </summary>
internal sealed class Sessions(TimeSpan phase, int repetitions, int concurrency)
{
    private static readonly double MicrosPerTick = 1_000_000.0 / 100;

    public async Task<string> RunAsync()
    {
        var directory = Directory.CreateTempSubdirectory("mtls-sessions-").FullName;
        try
        {
            using var root = TestPki.CreateRoot("Load Root");
            using var issuing = root.CreateIntermediate("Load Issuing CA");
            using var server = issuing.IssueLocalhostServer("inventory", "spiffe://example.org/ns/default/sa/inventory");
            using var client = issuing.IssueClient("bench", Servers.BenchId);
            root.WriteCertificatePem(Path.Combine(directory, "ca.pem"));
            server.WritePem(Path.Combine(directory, "server.pem"), Path.Combine(directory, "server.key"));
            var context = SslStreamCertificateContext.Create(client.Certificate, client.IntermediatesCollection(), offline: true);
            var rootCert = root.PublicCopy();
            var results = new Dictionary<string, List<double>>();
            for (var rep = 1; rep <= repetitions; rep++)
            {
                foreach (var mode in new[] { "b", "c" })
                {
                    await using var process = await ServerProcess.StartAsync(mode, directory, context);
                    // Bare Kestrel with the pinned policy refuses resumed sessions of a chain through an unpinned
                    // intermediate (the resumed handshake carries the leaf only: PartialChain), so only (c) resumes.
                    foreach (var resume in mode == "c" ? new[] { false, true } : [false])
                    {
                        var (perSecond, micros) = await MeasureAsync(process, context, rootCert, resume);
                        var key = $"{mode}:{(resume ? "resumed" : "full")}";
                        if (!results.TryGetValue(key, out var list))
                        {
                            results[key] = list = [];
                        }

                        list.Add(micros);
                        Console.Error.WriteLine($"rep {rep} ({key}): {perSecond:F0} handshakes/s, {micros:F0} server us/handshake");
                    }
                }
            }

            return Report(results);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private async Task<(double PerSecond, double Micros)> MeasureAsync(ServerProcess server, SslStreamCertificateContext certificate, X509Certificate2 root, bool resume)
    {
        var policy = new X509ChainPolicy { TrustMode = X509ChainTrustMode.CustomRootTrust, DisableCertificateDownloads = true, RevocationMode = X509RevocationMode.NoCheck };
        policy.CustomTrustStore.Add(root);
        using var http = new HttpClient(new SocketsHttpHandler
        {
            MaxConnectionsPerServer = concurrency,
            PooledConnectionLifetime = TimeSpan.Zero,
            SslOptions = new SslClientAuthenticationOptions
            {
                ClientCertificateContext = certificate,
                AllowTlsResume = resume,
                EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
                CertificateChainPolicy = policy,
                RemoteCertificateValidationCallback = (_, _, _, errors) => errors == SslPolicyErrors.None,
            },
        });
        var address = new UriBuilder(server.BaseAddress) { Host = "localhost" }.Uri;
        await DriveAsync(http, address, TimeSpan.FromSeconds(1));
        var before = server.CpuTicks();
        var clock = Stopwatch.StartNew();
        var ops = await DriveAsync(http, address, phase);
        var elapsed = clock.Elapsed;
        return (ops / elapsed.TotalSeconds, (server.CpuTicks() - before) * MicrosPerTick / ops);
    }

    private async Task<long> DriveAsync(HttpClient client, Uri baseAddress, TimeSpan duration)
    {
        long ops = 0;
        var stop = Stopwatch.StartNew();
        var ping = new Uri(baseAddress, "/ping");
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
        {
            while (stop.Elapsed < duration)
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, ping) { Headers = { ConnectionClose = true } };
                using var response = await client.SendAsync(request);
                if (await response.Content.ReadAsStringAsync() != "ok")
                {
                    throw new InvalidOperationException($"GET /ping returned {(int)response.StatusCode}");
                }

                Interlocked.Increment(ref ops);
            }
        })));
        return ops;
    }

    private static string Report(Dictionary<string, List<double>> results)
    {
        static double Median(IEnumerable<double> values)
        {
            var sorted = values.OrderBy(v => v).ToArray();
            return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
        }

        double Ratio(string num, string den) => Median(results[num].Zip(results[den], (n, d) => n / d));
        var inv = CultureInfo.InvariantCulture;
        var text = new StringBuilder();
        text.AppendLine(inv, $"Medians of {results["c:full"].Count} repetitions; a new connection per request; server pinned to CPU 0, client to CPU 1.");
        text.AppendLine();
        text.AppendLine("| server | server CPU µs per full handshake | server CPU µs per resumed handshake |");
        text.AppendLine("|---|---:|---:|");
        text.AppendLine(inv, $"| (b) bare Kestrel, pinned chain policy given to SslStream | {Median(results["b:full"]):F0} | refused (PartialChain: the resumed handshake carries the leaf only) |");
        text.AppendLine(inv, $"| (c) `AddMutualTls()` + authorized SPIFFE ID endpoint | {Median(results["c:full"]):F0} | {Median(results["c:resumed"]):F0} |");
        text.AppendLine();
        text.AppendLine("| ratio (median of per-repetition ratios) | value |");
        text.AppendLine("|---|---:|");
        text.AppendLine(inv, $"| (c) resumed / (c) full, server CPU per handshake | {Ratio("c:resumed", "c:full"):F3} |");
        text.AppendLine(inv, $"| (c) full / (b) full, server CPU per handshake | {Ratio("c:full", "b:full"):F3} |");
        text.AppendLine(inv, $"| (c) resumed / (b) full, server CPU per handshake | {Ratio("c:resumed", "b:full"):F3} |");
        return text.ToString();
    }
}
