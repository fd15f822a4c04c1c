using System.Diagnostics;
using System.Globalization;
using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Mtls.Extensions.Testing;

namespace Mtls.Extensions.LoadTest;

/// <summary>
/// The side-by-side run against the official certificate handler: every <see cref="ComparisonServers.Modes"/> server runs
/// for the whole run (each its own process pinned to CPU 0), driven from this process (CPU 1) in short slices that
/// rotate through the servers round after round, so that whatever else the machine does falls on all of them alike.
/// Per server and round: a slice of full handshakes (a new connection per request, no TLS resumption), then a slice
/// of keep-alive requests on pooled connections that stay open across rounds.
/// </summary>
internal sealed class ComparisonOrchestrator(TimeSpan slice, int rounds, int concurrency)
{
    private static readonly double MicrosPerTick = 1_000_000.0 / 100; // CLK_TCK = 100 on Linux

    private static readonly Dictionary<string, string> Names = new()
    {
        ["cmp-bare"] = "(1) bare Kestrel, pinned chain policy given to SslStream, no authentication",
        ["cmp-floor"] = "(2) (1) + a scheme returning one prebuilt ticket + `RequireAuthorization()` (auth floor)",
        ["cmp-official"] = "(3) (1) + official `AddCertificate()` (`AdditionalChainCertificates`), no cache",
        ["cmp-official-cache"] = "(4) (3) + `AddCertificateCache()`",
        ["cmp-mtls"] = "(5) `AddMutualTls()` (`MutualTls` scheme)",
        ["cmp-compat"] = "(6) `AddMutualTls().AddCertificateCompatibility()` (`Certificate` scheme)",
    };

    public async Task<string> RunAsync()
    {
        var directory = Directory.CreateTempSubdirectory("mtls-compare-").FullName;
        var servers = new Dictionary<string, ServerProcess>();
        var clients = new List<HttpClient>();
        try
        {
            using var root = TestPki.CreateRoot("Load Root");
            using var issuing = root.CreateIntermediate("Load Issuing CA");
            using var server = issuing.IssueLocalhostServer("inventory", "spiffe://example.org/ns/default/sa/inventory");
            using var client = issuing.IssueClient("bench", Servers.BenchId);
            root.WriteCertificatePem(Path.Combine(directory, "ca.pem"));
            issuing.WriteCertificatePem(Path.Combine(directory, "issuing.pem"));
            server.WritePem(Path.Combine(directory, "server.pem"), Path.Combine(directory, "server.key"));
            var clientContext = SslStreamCertificateContext.Create(client.Certificate, client.IntermediatesCollection(), offline: true);
            var rootCert = root.PublicCopy();
            var modes = (Environment.GetEnvironmentVariable("MTLS_COMPARE_MODES") ?? string.Join(',', ComparisonServers.Modes)).Split(',');

            var handshakeClients = new Dictionary<string, HttpClient>();
            var keepAliveClients = new Dictionary<string, HttpClient>();
            foreach (var mode in modes)
            {
                servers[mode] = await ServerProcess.StartAsync(mode, directory, clientContext);
                clients.Add(handshakeClients[mode] = new HttpClient(ClientHandler(clientContext, rootCert, newConnectionEachRequest: true)));
                clients.Add(keepAliveClients[mode] = new HttpClient(ClientHandler(clientContext, rootCert, newConnectionEachRequest: false)));
                await DriveAsync(handshakeClients[mode], servers[mode].BaseAddress, TimeSpan.FromSeconds(1), newConnectionEachRequest: true); // warm-up
                await DriveAsync(keepAliveClients[mode], servers[mode].BaseAddress, TimeSpan.FromSeconds(1), newConnectionEachRequest: false);
            }

            var results = new Dictionary<string, List<Sample>>();
            for (var round = 0; round < rounds; round++)
            {
                // Rotate the order each round: no server always runs first or right after the same neighbour.
                foreach (var mode in modes.Skip(round % modes.Length).Concat(modes.Take(round % modes.Length)))
                {
                    var handshake = await MeasureAsync(servers[mode], handshakeClients[mode], newConnectionEachRequest: true);
                    var keepAlive = await MeasureAsync(servers[mode], keepAliveClients[mode], newConnectionEachRequest: false);
                    Add(results, $"{mode}:handshake", handshake);
                    Add(results, $"{mode}:keepalive", keepAlive);
                    Console.Error.WriteLine($"round {round + 1} ({mode}): {handshake.PerSecond:F0} handshakes/s, {handshake.ServerMicros:F0} us/handshake; {keepAlive.PerSecond:F0} req/s, {keepAlive.ServerMicros:F1} us/req; validations/req {keepAlive.ValidationsPerOp:F4}, own chain builds {keepAlive.OwnChainBuilds}");
                }
            }

            return Report(results, modes, rounds, slice);
        }
        finally
        {
            foreach (var c in clients)
            {
                c.Dispose();
            }

            foreach (var s in servers.Values)
            {
                await s.DisposeAsync();
            }

            Directory.Delete(directory, recursive: true);
        }
    }

    private static void Add(Dictionary<string, List<Sample>> results, string key, Sample sample)
    {
        if (!results.TryGetValue(key, out var list))
        {
            results[key] = list = [];
        }

        list.Add(sample);
    }

    private async Task<Sample> MeasureAsync(ServerProcess server, HttpClient client, bool newConnectionEachRequest)
    {
        var (validationsBefore, buildsBefore) = await server.StatsAsync();
        var cpuBefore = server.CpuTicks();
        var clock = Stopwatch.StartNew();
        var ops = await DriveAsync(client, server.BaseAddress, slice, newConnectionEachRequest);
        var elapsed = clock.Elapsed;
        var cpu = server.CpuTicks() - cpuBefore;
        var (validationsAfter, buildsAfter) = await server.StatsAsync();
        return new Sample(ops, elapsed.TotalSeconds, cpu, validationsAfter - validationsBefore, buildsAfter - buildsBefore);
    }

    private async Task<long> DriveAsync(HttpClient client, Uri baseAddress, TimeSpan duration, bool newConnectionEachRequest)
    {
        long ops = 0;
        var stop = Stopwatch.StartNew();
        var ping = new Uri(baseAddress, "/ping");
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
        {
            while (stop.Elapsed < duration)
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, ping);
                if (newConnectionEachRequest)
                {
                    request.Headers.ConnectionClose = true;
                }

                using var response = await client.SendAsync(request);
                var body = await response.Content.ReadAsStringAsync();
                if (body != "ok")
                {
                    throw new InvalidOperationException($"GET /ping returned {(int)response.StatusCode} '{body}'");
                }

                Interlocked.Increment(ref ops);
            }
        })));
        return ops;
    }

    private SocketsHttpHandler ClientHandler(SslStreamCertificateContext certificate, X509Certificate2 root, bool newConnectionEachRequest)
    {
        var policy = new X509ChainPolicy { TrustMode = X509ChainTrustMode.CustomRootTrust, DisableCertificateDownloads = true, RevocationMode = X509RevocationMode.NoCheck };
        policy.CustomTrustStore.Add(root);
        return new SocketsHttpHandler
        {
            MaxConnectionsPerServer = concurrency,
            PooledConnectionLifetime = newConnectionEachRequest ? TimeSpan.Zero : Timeout.InfiniteTimeSpan,
            PooledConnectionIdleTimeout = newConnectionEachRequest ? TimeSpan.Zero : Timeout.InfiniteTimeSpan, // keep-alive connections live across rounds
            SslOptions = new SslClientAuthenticationOptions
            {
                ClientCertificateContext = certificate, // sends the intermediate, as clients of a private PKI do
                AllowTlsResume = false,
                EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
                CertificateChainPolicy = policy,
                RemoteCertificateValidationCallback = (_, _, _, errors) => errors == SslPolicyErrors.None,
            },
        };
    }

    private static string Report(Dictionary<string, List<Sample>> results, string[] modes, int rounds, TimeSpan slice)
    {
        static double Median(IEnumerable<double> values)
        {
            var sorted = values.OrderBy(v => v).ToArray();
            return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
        }

        // Totals over all rounds: CPU ticks summed before dividing, so the 10 ms tick of /proc counts once per run, not per slice.
        double Micros(string key) => results[key].Sum(s => s.CpuTicks) * MicrosPerTick / results[key].Sum(s => s.Ops);
        double PerSecond(string key) => results[key].Sum(s => s.Ops) / results[key].Sum(s => s.Seconds);
        double PerOp(string key, Func<Sample, double> f) => results[key].Sum(f) / results[key].Sum(s => s.Ops);
        var inv = CultureInfo.InvariantCulture;
        var text = new StringBuilder();
        text.AppendLine("Every server answers `GET /ping` with `ok`; every one but (1) requires an authenticated user there (`RequireAuthorization()`, the");
        text.AppendLine("default scheme set to the scheme under test). (1)–(4) share one TLS wiring: Kestrel hands SslStream the server certificate");
        text.AppendLine("context and a pinned `CertificateChainPolicy` (one chain build per handshake), so they differ only in authentication;");
        text.AppendLine("(3) and (4) then validate again in the official handler with `CustomRootTrust`, the root in `CustomTrustStore` and the");
        text.AppendLine("issuing CA in `AdditionalChainCertificates` (the handler never sees the intermediates the client sent). (5) and (6) use");
        text.AppendLine("`UseMutualTls()`: the handshake's one chain build decides, the scheme reads the verdict. The client sends its intermediate.");
        text.AppendLine("Full handshakes: a new connection per request (`Connection: close`), no TLS resumption; the figure includes that request.");
        text.AppendLine("Keep-alive: 4 pooled HTTP/1.1 connections, open for the whole run. Server CPU from /proc/{pid}/stat (utime + stime).");
        text.AppendLine();
        text.AppendLine(inv, $"All six servers run side by side for the whole run; {rounds} rounds, each giving every server a {slice.TotalSeconds:F0} s slice of full handshakes and then a");
        text.AppendLine(inv, $"{slice.TotalSeconds:F0} s slice of keep-alive requests, in an order that rotates every round. Figures are totals over all rounds (CPU µs summed, divided by");
        text.AppendLine("operations). Ratios: the median of the per-round ratios (each round's slices run next to each other in time, so a burst of");
        text.AppendLine("other load on this shared machine falls on few of them) and, beside it, their range and the ratio of the totals.");
        text.AppendLine();
        text.AppendLine("| server | full handshakes/s | server CPU µs per full handshake | keep-alive req/s | server CPU µs per keep-alive request | library validations per keep-alive request | library chain builds (keep-alive) |");
        text.AppendLine("|---|---:|---:|---:|---:|---:|---:|");
        foreach (var mode in modes)
        {
            var library = mode is "cmp-mtls" or "cmp-compat";
            text.AppendLine(inv, $"| {Names[mode]} | {PerSecond($"{mode}:handshake"):F0} | {Micros($"{mode}:handshake"):F0} | {PerSecond($"{mode}:keepalive"):F0} | {Micros($"{mode}:keepalive"):F1} | {(library ? PerOp($"{mode}:keepalive", s => s.Validations).ToString("F4", inv) : "n/a")} | {(library ? results[$"{mode}:keepalive"].Sum(s => s.OwnChainBuilds).ToString("F0", inv) : "n/a")} |");
        }

        if (!modes.Contains("cmp-mtls") || !modes.Contains("cmp-floor") || !modes.Contains("cmp-official") || !modes.Contains("cmp-bare"))
        {
            return text.ToString();
        }

        double[] PerRound(string num, string den) => results[num].Zip(results[den], (n, d) => (n.CpuTicks / n.Ops) / (d.CpuTicks / d.Ops)).ToArray();
        double MedianRatio(string num, string den) => Median(PerRound(num, den));
        string Ratio(string num, string den)
        {
            var perRound = PerRound(num, den);
            return string.Create(inv, $"{Median(perRound):F3} | {perRound.Min():F3}–{perRound.Max():F3} | {Micros(num) / Micros(den):F3}");
        }

        string Verdict(double value, double target, bool atMost) => (atMost ? value <= target : value >= target) ? "met" : "missed";
        text.AppendLine();
        text.AppendLine("| ratio of server CPU per operation | median of the per-round ratios | range over rounds | ratio of the totals | target (on the median) |");
        text.AppendLine("|---|---:|---:|---:|---|");
        var request52 = MedianRatio("cmp-mtls:keepalive", "cmp-floor:keepalive");
        var request35 = MedianRatio("cmp-official:keepalive", "cmp-mtls:keepalive");
        var handshake51 = MedianRatio("cmp-mtls:handshake", "cmp-bare:handshake");
        text.AppendLine(inv, $"| (5)/(2) per keep-alive request | {Ratio("cmp-mtls:keepalive", "cmp-floor:keepalive")} | ≤ 1.00: {Verdict(request52, 1.0, atMost: true)} |");
        text.AppendLine(inv, $"| (3)/(5) per keep-alive request: how many times the µs of (5) the official handler spends | {Ratio("cmp-official:keepalive", "cmp-mtls:keepalive")} | ≥ 5: {Verdict(request35, 5, atMost: false)} |");
        text.AppendLine(inv, $"| (5)/(1) per full handshake | {Ratio("cmp-mtls:handshake", "cmp-bare:handshake")} | ≤ 1.00: {Verdict(handshake51, 1.0, atMost: true)} |");
        text.AppendLine(inv, $"| (3)/(2) per keep-alive request: the most (3)/(5) can be for any scheme behind `RequireAuthorization()` | {Ratio("cmp-official:keepalive", "cmp-floor:keepalive")} | |");
        text.AppendLine(inv, $"| (3)/(1) per keep-alive request: the most it can be with no authentication at all | {Ratio("cmp-official:keepalive", "cmp-bare:keepalive")} | |");
        text.AppendLine(inv, $"| (2)/(1) per keep-alive request: what authentication + authorization cost at the least | {Ratio("cmp-floor:keepalive", "cmp-bare:keepalive")} | |");
        text.AppendLine(inv, $"| (2)/(1) per full handshake | {Ratio("cmp-floor:handshake", "cmp-bare:handshake")} | |");
        text.AppendLine(inv, $"| (5)/(2) per full handshake | {Ratio("cmp-mtls:handshake", "cmp-floor:handshake")} | |");
        text.AppendLine(inv, $"| (3)/(1) per full handshake | {Ratio("cmp-official:handshake", "cmp-bare:handshake")} | |");
        if (modes.Contains("cmp-official-cache"))
        {
            text.AppendLine(inv, $"| (4)/(5) per keep-alive request | {Ratio("cmp-official-cache:keepalive", "cmp-mtls:keepalive")} | |");
            text.AppendLine(inv, $"| (4)/(1) per full handshake | {Ratio("cmp-official-cache:handshake", "cmp-bare:handshake")} | |");
        }

        if (modes.Contains("cmp-compat"))
        {
            text.AppendLine(inv, $"| (6)/(2) per keep-alive request | {Ratio("cmp-compat:keepalive", "cmp-floor:keepalive")} | |");
            text.AppendLine(inv, $"| (6)/(1) per full handshake | {Ratio("cmp-compat:handshake", "cmp-bare:handshake")} | |");
        }

        text.AppendLine();
        text.AppendLine(inv, $"Added server CPU per keep-alive request over (1): official handler {Micros("cmp-official:keepalive") - Micros("cmp-bare:keepalive"):F1} µs, with cache {(modes.Contains("cmp-official-cache") ? (Micros("cmp-official-cache:keepalive") - Micros("cmp-bare:keepalive")).ToString("F1", inv) : "n/a")} µs, auth floor {Micros("cmp-floor:keepalive") - Micros("cmp-bare:keepalive"):F1} µs, `AddMutualTls()` {Micros("cmp-mtls:keepalive") - Micros("cmp-bare:keepalive"):F1} µs.");
        return text.ToString();
    }

    private sealed record Sample(long Ops, double Seconds, double CpuTicks, double Validations, double OwnChainBuilds)
    {
        public double PerSecond => Ops / Seconds;

        public double ServerMicros => CpuTicks * MicrosPerTick / Ops;

        public double ValidationsPerOp => Validations / Ops;
    }
}
