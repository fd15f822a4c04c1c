using System.Diagnostics;
using System.Globalization;
using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Mtls.Extensions.Testing;

namespace Mtls.Extensions.LoadTest;

/// <summary>
/// The side-by-side run against the official certificate handler: every <see cref="ComparisonServers.Modes"/> server in
/// one interleaved run (all modes per repetition), each pinned to CPU 0 and driven from this process (CPU 1). Per mode:
/// full handshakes (a new connection per request, no TLS resumption), then keep-alive requests on pooled connections.
/// </summary>
internal sealed class ComparisonOrchestrator(TimeSpan phase, int repetitions, int concurrency)
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

            var results = new Dictionary<string, List<Sample>>();
            for (var rep = 1; rep <= repetitions; rep++)
            {
                foreach (var mode in modes)
                {
                    await using var process = await ServerProcess.StartAsync(mode, directory, clientContext);
                    var handshake = await MeasureAsync(process, rootCert, clientContext, newConnectionEachRequest: true);
                    var keepAlive = await MeasureAsync(process, rootCert, clientContext, newConnectionEachRequest: false);
                    Add(results, $"{mode}:handshake", handshake);
                    Add(results, $"{mode}:keepalive", keepAlive);
                    Console.Error.WriteLine($"rep {rep} ({mode}): {handshake.PerSecond:F0} handshakes/s, {handshake.ServerMicros:F0} us/handshake; {keepAlive.PerSecond:F0} req/s, {keepAlive.ServerMicros:F1} us/req; validations/req {keepAlive.ValidationsPerOp:F4}, own chain builds {keepAlive.OwnChainBuilds}");
                }
            }

            return Report(results, modes, repetitions);
        }
        finally
        {
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

    private async Task<Sample> MeasureAsync(ServerProcess server, X509Certificate2 root, SslStreamCertificateContext certificate, bool newConnectionEachRequest)
    {
        using var client = new HttpClient(ClientHandler(certificate, root, newConnectionEachRequest));
        await DriveAsync(client, server.BaseAddress, TimeSpan.FromSeconds(1), newConnectionEachRequest); // warm-up
        var (validationsBefore, buildsBefore) = await server.StatsAsync();
        var cpuBefore = server.CpuTicks();
        var clock = Stopwatch.StartNew();
        var ops = await DriveAsync(client, server.BaseAddress, phase, newConnectionEachRequest);
        var elapsed = clock.Elapsed;
        var cpu = server.CpuTicks() - cpuBefore;
        var (validationsAfter, buildsAfter) = await server.StatsAsync();
        return new Sample(ops / elapsed.TotalSeconds, cpu * MicrosPerTick / ops, (validationsAfter - validationsBefore) / (double)ops, buildsAfter - buildsBefore);
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

    private static string Report(Dictionary<string, List<Sample>> results, string[] modes, int repetitions)
    {
        static double Median(IEnumerable<double> values)
        {
            var sorted = values.OrderBy(v => v).ToArray();
            return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
        }

        double M(string key, Func<Sample, double> f) => Median(results[key].Select(f));
        var inv = CultureInfo.InvariantCulture;
        var text = new StringBuilder();
        text.AppendLine("Every server answers `GET /ping` with `ok`; every one but (1) requires an authenticated user there (`RequireAuthorization()`, the");
        text.AppendLine("default scheme set to the scheme under test). (1)–(4) share one TLS wiring: Kestrel hands SslStream the server certificate");
        text.AppendLine("context and a pinned `CertificateChainPolicy` (one chain build per handshake), so they differ only in authentication;");
        text.AppendLine("(3) and (4) then validate again in the official handler with `CustomRootTrust`, the root in `CustomTrustStore` and the");
        text.AppendLine("issuing CA in `AdditionalChainCertificates` (the handler never sees the intermediates the client sent). (5) and (6) use");
        text.AppendLine("`UseMutualTls()`: the handshake's one chain build decides, the scheme reads the verdict. The client sends its intermediate.");
        text.AppendLine("Full handshakes: a new connection per request (`Connection: close`), no TLS resumption; the figure includes that request.");
        text.AppendLine("Keep-alive: 4 pooled HTTP/1.1 connections. Server CPU from /proc/{pid}/stat (utime + stime) over each measured phase, per operation.");
        text.AppendLine();
        text.AppendLine(inv, $"Medians of {repetitions} interleaved repetitions (every server once per repetition, in the order below); each server pinned to CPU 0, the client to CPU 1.");
        text.AppendLine();
        text.AppendLine("| server | full handshakes/s | server CPU µs per full handshake | keep-alive req/s | server CPU µs per keep-alive request | library validations per keep-alive request | library chain builds (keep-alive) |");
        text.AppendLine("|---|---:|---:|---:|---:|---:|---:|");
        foreach (var mode in modes)
        {
            var library = mode is "cmp-mtls" or "cmp-compat";
            text.AppendLine(inv, $"| {Names[mode]} | {M($"{mode}:handshake", s => s.PerSecond):F0} | {M($"{mode}:handshake", s => s.ServerMicros):F0} | {M($"{mode}:keepalive", s => s.PerSecond):F0} | {M($"{mode}:keepalive", s => s.ServerMicros):F1} | {(library ? M($"{mode}:keepalive", s => s.ValidationsPerOp).ToString("F4", inv) : "n/a")} | {(library ? M($"{mode}:keepalive", s => s.OwnChainBuilds).ToString("F0", inv) : "n/a")} |");
        }

        if (!modes.Contains("cmp-mtls") || !modes.Contains("cmp-floor") || !modes.Contains("cmp-official") || !modes.Contains("cmp-bare"))
        {
            return text.ToString();
        }

        double Ratio(string num, string den, Func<Sample, double> f) => Median(results[num].Zip(results[den], (n, d) => f(n) / f(d)));
        string Verdict(bool met) => met ? "met" : "missed";
        text.AppendLine();
        text.AppendLine("| ratio (median of per-repetition ratios, server CPU) | value | target |");
        text.AppendLine("|---|---:|---|");
        var request52 = Ratio("cmp-mtls:keepalive", "cmp-floor:keepalive", s => s.ServerMicros);
        var request35 = Ratio("cmp-official:keepalive", "cmp-mtls:keepalive", s => s.ServerMicros);
        var handshake51 = Ratio("cmp-mtls:handshake", "cmp-bare:handshake", s => s.ServerMicros);
        text.AppendLine(inv, $"| (5)/(2) per keep-alive request | {request52:F3} | ≤ 1.00: {Verdict(request52 <= 1.0)} |");
        text.AppendLine(inv, $"| (3)/(5) per keep-alive request (times more µs for the official handler) | {request35:F2} | ≥ 5: {Verdict(request35 >= 5)} |");
        text.AppendLine(inv, $"| (5)/(1) per full handshake | {handshake51:F3} | ≤ 1.00: {Verdict(handshake51 <= 1.0)} |");
        text.AppendLine(inv, $"| (3)/(1) per keep-alive request (the most any handler can gain over (3) here: (1) has no authentication at all) | {Ratio("cmp-official:keepalive", "cmp-bare:keepalive", s => s.ServerMicros):F2} | |");
        text.AppendLine(inv, $"| (3)−(1) per keep-alive request, µs: what the official handler adds to a request | {Median(results["cmp-official:keepalive"].Zip(results["cmp-bare:keepalive"], (n, d) => n.ServerMicros - d.ServerMicros)):F1} | |");
        text.AppendLine(inv, $"| (5)−(1) per keep-alive request, µs: what `AddMutualTls()` adds to a request | {Median(results["cmp-mtls:keepalive"].Zip(results["cmp-bare:keepalive"], (n, d) => n.ServerMicros - d.ServerMicros)):F1} | |");
        text.AppendLine(inv, $"| (2)−(1) per keep-alive request, µs: what the auth floor adds to a request | {Median(results["cmp-floor:keepalive"].Zip(results["cmp-bare:keepalive"], (n, d) => n.ServerMicros - d.ServerMicros)):F1} | |");
        text.AppendLine(inv, $"| (2)/(1) per keep-alive request (what any authentication costs) | {Ratio("cmp-floor:keepalive", "cmp-bare:keepalive", s => s.ServerMicros):F3} | |");
        if (modes.Contains("cmp-official-cache"))
        {
            text.AppendLine(inv, $"| (4)/(5) per keep-alive request | {Ratio("cmp-official-cache:keepalive", "cmp-mtls:keepalive", s => s.ServerMicros):F3} | |");
            text.AppendLine(inv, $"| (4)/(1) per full handshake | {Ratio("cmp-official-cache:handshake", "cmp-bare:handshake", s => s.ServerMicros):F3} | |");
        }

        text.AppendLine(inv, $"| (3)/(1) per full handshake | {Ratio("cmp-official:handshake", "cmp-bare:handshake", s => s.ServerMicros):F3} | |");
        if (modes.Contains("cmp-compat"))
        {
            text.AppendLine(inv, $"| (6)/(2) per keep-alive request | {Ratio("cmp-compat:keepalive", "cmp-floor:keepalive", s => s.ServerMicros):F3} | |");
            text.AppendLine(inv, $"| (6)/(1) per full handshake | {Ratio("cmp-compat:handshake", "cmp-bare:handshake", s => s.ServerMicros):F3} | |");
        }

        return text.ToString();
    }

    private sealed record Sample(double PerSecond, double ServerMicros, double ValidationsPerOp, double OwnChainBuilds);
}
