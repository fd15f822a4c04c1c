using System.Diagnostics;
using System.Globalization;
using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Mtls.Extensions.Testing;

namespace Mtls.Extensions.LoadTest;

/// <summary>
/// Drives each server (started pinned to CPU 0) from this process (pinned to CPU 1 by run.sh), interleaving
/// a, b, c per repetition, and reports medians and ratios. Server CPU comes from /proc/{pid}/stat.
/// </summary>
internal sealed class Orchestrator(TimeSpan phase, int repetitions, int concurrency)
{
    private static readonly double MicrosPerTick = 1_000_000.0 / 100; // CLK_TCK = 100 on Linux

    public async Task<string> RunAsync()
    {
        var directory = Directory.CreateTempSubdirectory("mtls-load-").FullName;
        try
        {
            using var root = TestPki.CreateRoot("Load Root");
            using var issuing = root.CreateIntermediate("Load Issuing CA");
            using var server = issuing.IssueLocalhostServer("inventory", "spiffe://example.org/ns/default/sa/inventory");
            using var client = issuing.IssueClient("bench", Servers.BenchId);
            root.WriteCertificatePem(Path.Combine(directory, "ca.pem"));
            server.WritePem(Path.Combine(directory, "server.pem"), Path.Combine(directory, "server.key"));
            var clientContext = SslStreamCertificateContext.Create(client.Certificate, client.IntermediatesCollection(), offline: true);
            var rootCert = root.PublicCopy();

            var results = new Dictionary<string, List<Sample>>();
            for (var rep = 1; rep <= repetitions; rep++)
            {
                foreach (var mode in (Environment.GetEnvironmentVariable("MTLS_LOAD_MODES") ?? "a,b,c").Split(','))
                {
                    await using var process = await ServerProcess.StartAsync(mode, directory, clientContext);
                    var handshake = await MeasureServerAsync(process, RawClient(clientContext, rootCert, newConnectionEachRequest: true), newConnectionEachRequest: true);
                    var keepAlive = await MeasureServerAsync(process, RawClient(clientContext, rootCert, newConnectionEachRequest: false), newConnectionEachRequest: false);
                    Add(results, $"{mode}:handshake", handshake);
                    Add(results, $"{mode}:keepalive", keepAlive);
                    Console.Error.WriteLine($"rep {rep} ({mode}): {handshake.PerSecond:F0} handshakes/s, {handshake.ServerMicros:F0} us/handshake; {keepAlive.PerSecond:F0} req/s, {keepAlive.ServerMicros:F1} us/req; validations/req {keepAlive.ValidationsPerOp:F4}, own chain builds {keepAlive.OwnChainBuilds}");
                }
            }

            return Environment.GetEnvironmentVariable("MTLS_LOAD_MODES") is null ? Report(results) : "(diagnostic run)";
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

    private async Task<Sample> MeasureServerAsync(ServerProcess server, HttpClient client, bool newConnectionEachRequest)
    {
        using (client)
        {
            await DriveAsync(client, server.BaseAddress, TimeSpan.FromSeconds(1), newConnectionEachRequest); // warm-up
            var (validationsBefore, buildsBefore) = await server.StatsAsync();
            var cpuBefore = server.CpuTicks();
            var clock = Stopwatch.StartNew();
            var ops = await DriveAsync(client, server.BaseAddress, phase, newConnectionEachRequest);
            var elapsed = clock.Elapsed;
            var cpu = server.CpuTicks() - cpuBefore;
            var (validationsAfter, buildsAfter) = await server.StatsAsync();
            return new Sample(ops / elapsed.TotalSeconds, cpu * MicrosPerTick / ops, 0, (validationsAfter - validationsBefore) / (double)ops, buildsAfter - buildsBefore);
        }
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

    private HttpClient RawClient(SslStreamCertificateContext certificate, X509Certificate2 root, bool newConnectionEachRequest) =>
        new(RawClientHandler(certificate, root, newConnectionEachRequest));

    private SocketsHttpHandler RawClientHandler(SslStreamCertificateContext certificate, X509Certificate2 root, bool newConnectionEachRequest)
    {
        var policy = new X509ChainPolicy { TrustMode = X509ChainTrustMode.CustomRootTrust, DisableCertificateDownloads = true, RevocationMode = X509RevocationMode.NoCheck };
        policy.CustomTrustStore.Add(root);
        var handler = new SocketsHttpHandler
        {
            MaxConnectionsPerServer = concurrency,
            PooledConnectionLifetime = newConnectionEachRequest ? TimeSpan.Zero : Timeout.InfiniteTimeSpan,
            SslOptions = new SslClientAuthenticationOptions
            {
                ClientCertificateContext = certificate,
                AllowTlsResume = false,
                EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
                CertificateChainPolicy = policy,
                RemoteCertificateValidationCallback = (_, _, _, errors) => errors == SslPolicyErrors.None,
            },
        };
        return handler;
    }

    private static string Report(Dictionary<string, List<Sample>> results)
    {
        static double Median(IEnumerable<double> values)
        {
            var sorted = values.OrderBy(v => v).ToArray();
            return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
        }

        double M(string key, Func<Sample, double> f) => Median(results[key].Select(f));
        var text = new StringBuilder();
        var inv = CultureInfo.InvariantCulture;
        var reps = results["a:handshake"].Count;
        text.AppendLine(inv, $"Medians of {reps} interleaved repetitions (a, b, c per repetition); each server pinned to CPU 0, the client to CPU 1.");
        text.AppendLine();
        text.AppendLine("| server | full handshakes/s | server CPU µs/handshake | keep-alive req/s | server CPU µs/request | validations per keep-alive request | own chain builds (keep-alive) |");
        text.AppendLine("|---|---:|---:|---:|---:|---:|---:|");
        var names = new Dictionary<string, string>
        {
            ["a"] = "(a) bare Kestrel, `ClientCertificateValidation`",
            ["b"] = "(b) bare Kestrel, chain policy given to SslStream",
            ["c"] = "(c) `AddMutualTls()` + authorized SPIFFE ID endpoint",
        };
        foreach (var mode in new[] { "a", "b", "c" })
        {
            text.AppendLine(inv, $"| {names[mode]} | {M($"{mode}:handshake", s => s.PerSecond):F0} | {M($"{mode}:handshake", s => s.ServerMicros):F0} | {M($"{mode}:keepalive", s => s.PerSecond):F0} | {M($"{mode}:keepalive", s => s.ServerMicros):F1} | {(mode == "c" ? M($"{mode}:keepalive", s => s.ValidationsPerOp).ToString("F4", inv) : "n/a")} | {(mode == "c" ? M($"{mode}:keepalive", s => s.OwnChainBuilds).ToString("F0", inv) : "n/a")} |");
        }

        text.AppendLine();
        double Ratio(string num, string den, Func<Sample, double> f) => Median(results[num].Zip(results[den], (n, d) => f(n) / f(d)));
        text.AppendLine("| ratio (median of per-repetition ratios) | value | target |");
        text.AppendLine("|---|---:|---|");
        var cbHandshake = Ratio("c:handshake", "b:handshake", s => s.ServerMicros);
        var caRequest = Ratio("c:keepalive", "a:keepalive", s => s.ServerMicros);
        text.AppendLine(inv, $"| (c)/(a) server CPU per handshake | {Ratio("c:handshake", "a:handshake", s => s.ServerMicros):F3} | |");
        text.AppendLine(inv, $"| (c)/(b) server CPU per handshake | {cbHandshake:F3} | ≤ 1.00: {(cbHandshake <= 1.0 ? "met" : "missed")} |");
        text.AppendLine(inv, $"| (c)/(a) server CPU per keep-alive request | {caRequest:F3} | ≤ 1.05: {(caRequest <= 1.05 ? "met" : "missed")} |");
        text.AppendLine(inv, $"| (c)/(b) server CPU per keep-alive request | {Ratio("c:keepalive", "b:keepalive", s => s.ServerMicros):F3} | |");
        text.AppendLine(inv, $"| (c)/(a) full handshakes per second | {Ratio("c:handshake", "a:handshake", s => s.PerSecond):F3} | |");
        text.AppendLine(inv, $"| (c)/(b) full handshakes per second | {Ratio("c:handshake", "b:handshake", s => s.PerSecond):F3} | |");
        text.AppendLine(inv, $"| (c)/(a) keep-alive requests per second | {Ratio("c:keepalive", "a:keepalive", s => s.PerSecond):F3} | |");
        return text.ToString();
    }

    private sealed record Sample(double PerSecond, double ServerMicros, double ClientMicros, double ValidationsPerOp, double OwnChainBuilds);
}

/// <summary>A server child process pinned to CPU 0 (when the machine has two or more cores).</summary>
internal sealed class ServerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly HttpClient _stats;

    private ServerProcess(Process process, Uri baseAddress, HttpClient stats)
    {
        _process = process;
        BaseAddress = baseAddress;
        _stats = stats;
    }

    public Uri BaseAddress { get; }

    public static async Task<ServerProcess> StartAsync(string mode, string directory, SslStreamCertificateContext clientCertificate)
    {
        var self = typeof(ServerProcess).Assembly.Location;
        // Environment.ProcessorCount honours this process's own affinity (run.sh pins it to CPU 1): count the machine's CPUs.
        var cpus = File.ReadLines("/proc/stat").Count(l => l.StartsWith("cpu", StringComparison.Ordinal) && char.IsDigit(l[3]));
        var pin = cpus >= 2 && File.Exists("/usr/bin/taskset");
        var info = new ProcessStartInfo(pin ? "/usr/bin/taskset" : "dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        if (pin)
        {
            info.ArgumentList.Add("-c");
            info.ArgumentList.Add("0");
            info.ArgumentList.Add("dotnet");
        }

        info.ArgumentList.Add(self);
        info.ArgumentList.Add("server");
        info.ArgumentList.Add(mode);
        info.ArgumentList.Add(directory);
        // Steady state from the first measured request: every method fully optimized, no tier-0 or instrumented code.
        info.Environment["DOTNET_TieredCompilation"] = Environment.GetEnvironmentVariable("DOTNET_TieredCompilation") ?? "0";
        if (Environment.GetEnvironmentVariable("MTLS_LOAD_PERF") == "1")
        {
            info.Environment["DOTNET_PerfMapEnabled"] = "1";
            info.Environment["DOTNET_EnableWriteXorExecute"] = "0";
        }
        var process = Process.Start(info) ?? throw new InvalidOperationException("could not start the server");
        string? line;
        while ((line = await process.StandardOutput.ReadLineAsync()) is not null && !line.StartsWith("LISTENING ", StringComparison.Ordinal))
        {
        }

        if (line is null)
        {
            throw new InvalidOperationException($"server {mode} exited before listening");
        }

        var port = int.Parse(line["LISTENING ".Length..], CultureInfo.InvariantCulture);
        var baseAddress = new Uri($"https://127.0.0.1:{port}/");
        var stats = new HttpClient(new SocketsHttpHandler
        {
            SslOptions = new SslClientAuthenticationOptions
            {
                ClientCertificateContext = clientCertificate,
                RemoteCertificateValidationCallback = (_, _, _, _) => true, // a local control channel to our own child process
            },
        });
        return new ServerProcess(process, baseAddress, stats);
    }

    public static long Ticks(int pid)
    {
        // /proc/{pid}/stat: fields after the ")" — utime is field 14, stime 15 (1-based over the whole line).
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
    }

    public long CpuTicks() => Ticks(_process.Id);

    /// <summary>Validations and own chain builds counted by the server (mode c only; the /stats call itself is one handshake).</summary>
    public async Task<(long Validations, long OwnChainBuilds)> StatsAsync()
    {
        var text = await _stats.GetStringAsync(new Uri(BaseAddress, "/stats"));
        var parts = text.Split(' ');
        return (long.Parse(parts[0], CultureInfo.InvariantCulture), long.Parse(parts[1], CultureInfo.InvariantCulture));
    }

    public async ValueTask DisposeAsync()
    {
        _stats.Dispose();
        try
        {
            _process.StandardInput.Close();
            if (!_process.WaitForExit(10_000))
            {
                _process.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException)
        {
        }

        await Task.CompletedTask;
        _process.Dispose();
    }
}
