using System.Diagnostics;
using System.Globalization;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Mtls.Extensions.Benchmarks.Shared;
using Mtls.Extensions.Testing;

namespace Mtls.Extensions.LoadTest;

/// <summary>
/// Client CPU per keep-alive request where the client is the limit: nginx (one worker, pinned to CPU 0, never the
/// bottleneck) serves every variant; this process (pinned to CPU 1 by run.sh) drives it with <c>concurrency</c>
/// requests in flight. Client CPU from /proc/self/stat (utime + stime) over each measured phase; nginx CPU from its
/// /proc/{pid}/stat, reported as the busy share of its core so a run where nginx was the limit is visible.
/// </summary>
internal sealed class Clients(TimeSpan phase, int repetitions, int concurrency)
{
    private const string Raw = "raw `SocketsHttpHandler` with `ClientCertificateContext`";
    private const string Factory = "`IHttpClientFactory` + that raw handler";
    private const string FactoryStandard = "`IHttpClientFactory` + raw handler + `AddStandardResilienceHandler()`";
    private const string MtlsOff = "`AddMtlsHttpClient`, resilience off";
    private const string MtlsDefault = "`AddMtlsHttpClient`, default resilience";
    // Each compared pair is measured back to back (factory, then AddMtlsHttpClient without resilience; standard handler,
    // then the default pipeline), and every other repetition runs the order backwards, so drift of the machine's speed
    // during a run falls on both sides of a ratio.
    private static readonly string[] Variants = [Raw, Factory, MtlsOff, FactoryStandard, MtlsDefault];
    private static readonly double MicrosPerTick = 1_000_000.0 / 100; // CLK_TCK = 100 on Linux

    public async Task<string> RunAsync()
    {
        var directory = Directory.CreateTempSubdirectory("mtls-clients-").FullName;
        try
        {
            using var root = TestPki.CreateRoot("Client Bench Root");
            using var issuing = root.CreateIntermediate("Client Bench Issuing CA");
            using var server = issuing.IssueLocalhostServer("inventory", BenchClients.ServerId);
            using var client = issuing.IssueClient("bench", Servers.BenchId);
            root.WriteCertificatePem(Path.Combine(directory, "ca.pem"));
            server.WritePem(Path.Combine(directory, "server.pem"), Path.Combine(directory, "server.key"));
            var context = SslStreamCertificateContext.Create(client.Certificate, client.IntermediatesCollection(), offline: true);
            var rootCert = root.PublicCopy();
            using var nginx = await NginxServer.StartAsync(directory);
            var only = Environment.GetEnvironmentVariable("MTLS_CLIENT_VARIANTS")?.Split(',').Select(int.Parse).ToHashSet();

            // One untimed pass over every variant first: the shared code (SocketsHttpHandler, SslStream, the factory) reaches
            // tier 1 before anything is measured, so the variant measured first in a repetition is not penalised.
            for (var i = 0; i < Variants.Length; i++)
            {
                if (only is null || only.Contains(i))
                {
                    using var warm = Create(Variants[i], context, rootCert, client, root, nginx.BaseAddress);
                    await DriveAsync(warm.Client, TimeSpan.FromSeconds(2));
                }
            }

            var results = Variants.ToDictionary(v => v, _ => new List<Sample>());
            for (var rep = 1; rep <= repetitions; rep++)
            {
                for (var step = 0; step < Variants.Length; step++)
                {
                    var i = rep % 2 == 1 ? step : Variants.Length - 1 - step;
                    if (only is not null && !only.Contains(i))
                    {
                        continue;
                    }

                    var name = Variants[i];
                    using var owner = Create(name, context, rootCert, client, root, nginx.BaseAddress);
                    var sample = await MeasureAsync(owner.Client, nginx);
                    results[name].Add(sample);
                    Console.Error.WriteLine($"rep {rep} {name}: {sample.PerSecond:F0} req/s, {sample.ClientMicros:F1} client µs/req, nginx {sample.ServerBusy:P0} busy, {sample.AllocatedBytes:F0} B/req");
                }
            }

            return only is null ? Report(results) : "(diagnostic run)";
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private async Task<Sample> MeasureAsync(HttpClient client, NginxServer nginx)
    {
        await DriveAsync(client, TimeSpan.FromSeconds(1)); // warm-up: this client's connections open (the code is already at tier 1)
        GC.Collect();
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        var cpuBefore = ServerProcess.Ticks(Environment.ProcessId);
        var nginxBefore = ServerProcess.Ticks(nginx.ProcessId);
        var clock = Stopwatch.StartNew();
        var ops = await DriveAsync(client, phase);
        var elapsed = clock.Elapsed;
        var cpu = ServerProcess.Ticks(Environment.ProcessId) - cpuBefore;
        var nginxCpu = ServerProcess.Ticks(nginx.ProcessId) - nginxBefore;
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
        return new Sample(ops / elapsed.TotalSeconds, cpu * MicrosPerTick / ops, nginxCpu * MicrosPerTick / elapsed.TotalMicroseconds, allocated / (double)ops);
    }

    private async Task<long> DriveAsync(HttpClient client, TimeSpan duration)
    {
        long ops = 0;
        var stop = Stopwatch.StartNew();
        var ping = new Uri(client.BaseAddress!, "/ping");
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
        {
            while (stop.Elapsed < duration)
            {
                using var response = await client.GetAsync(ping);
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

    private static ClientOwner Create(string variant, SslStreamCertificateContext certificate, X509Certificate2 rootCert, TestCertificate client, TestCertificateAuthority root, Uri baseAddress)
    {
        if (variant == Raw)
        {
            return new ClientOwner(new HttpClient(BenchClients.RawHandler(certificate, rootCert)) { BaseAddress = baseAddress }, null);
        }

        var (http, provider) = variant is Factory or FactoryStandard
            ? BenchClients.Factory(certificate, rootCert, baseAddress, standard: variant == FactoryStandard)
            : BenchClients.Mtls(client, root, baseAddress, resilience: variant == MtlsDefault);
        return new ClientOwner(http, provider);
    }

    private static string Report(Dictionary<string, List<Sample>> results)
    {
        static double Median(IEnumerable<double> values)
        {
            var sorted = values.OrderBy(v => v).ToArray();
            return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
        }

        double M(string key, Func<Sample, double> f) => Median(results[key].Select(f));
        double[] Ratios(string num, string den) => results[num].Zip(results[den], (n, d) => n.ClientMicros / d.ClientMicros).ToArray();
        double Ratio(string num, string den) => Median(Ratios(num, den));
        string Spread(string num, string den) => string.Create(CultureInfo.InvariantCulture, $"{Ratios(num, den).Min():F3}–{Ratios(num, den).Max():F3}");
        var inv = CultureInfo.InvariantCulture;
        var text = new StringBuilder();
        text.AppendLine(inv, $"Medians of {results[Raw].Count} interleaved repetitions (pairs back to back, order reversed every other repetition); nginx (one worker) pinned to CPU 0, the client to CPU 1.");
        text.AppendLine();
        text.AppendLine("| client | req/s | client CPU µs/request | allocated B/request | nginx busy |");
        text.AppendLine("|---|---:|---:|---:|---:|");
        foreach (var name in Variants)
        {
            text.AppendLine(inv, $"| {name} | {M(name, s => s.PerSecond):F0} | {M(name, s => s.ClientMicros):F1} | {M(name, s => s.AllocatedBytes):F0} | {M(name, s => s.ServerBusy):P0} |");
        }

        text.AppendLine();
        text.AppendLine("| ratio of client CPU per request (median of per-repetition ratios) | value | per-repetition range | target |");
        text.AppendLine("|---|---:|---:|---|");
        var off = Ratio(MtlsOff, Factory);
        var standard = Ratio(MtlsDefault, FactoryStandard);
        text.AppendLine(inv, $"| {MtlsOff} / {Factory} | {off:F3} | {Spread(MtlsOff, Factory)} | ≤ 1.05: {(off <= 1.05 ? "met" : "missed")} |");
        text.AppendLine(inv, $"| {MtlsDefault} / {FactoryStandard} | {standard:F3} | {Spread(MtlsDefault, FactoryStandard)} | ≤ 1.00: {(standard <= 1.00 ? "met" : "missed")} |");
        text.AppendLine(inv, $"| {Factory} / {Raw} | {Ratio(Factory, Raw):F3} | {Spread(Factory, Raw)} | the factory alone |");
        text.AppendLine(inv, $"| {MtlsOff} / {Raw} | {Ratio(MtlsOff, Raw):F3} | {Spread(MtlsOff, Raw)} | |");
        var busiest = results.Values.SelectMany(s => s).Max(s => s.ServerBusy);
        text.AppendLine();
        text.AppendLine(inv, $"nginx was at most {busiest:P0} busy in any measured phase (target: below 80 %, so the client is the limit).");
        return text.ToString();
    }

    private sealed record Sample(double PerSecond, double ClientMicros, double ServerBusy, double AllocatedBytes);

    private sealed class ClientOwner(HttpClient client, IDisposable? owner) : IDisposable
    {
        public HttpClient Client { get; } = client;

        public void Dispose()
        {
            Client.Dispose();
            owner?.Dispose();
        }
    }
}
