using System.Diagnostics.Metrics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Mtls.Extensions.Infrastructure;
using Mtls.Extensions.Testing;
using Mtls.Extensions.Validation.Internal;

namespace Mtls.Extensions.Benchmarks;

/// <summary>
/// Where a server's full handshake spends its CPU on the peer's certificate, part by part, in-process:
/// <c>dotnet Mtls.Extensions.Benchmarks.dll breakdown</c>. Each part runs in a bounded loop on one thread; the table shows
/// the thread's CPU time (CLOCK_THREAD_CPUTIME_ID, so other processes on a loaded machine add little) and the bytes it
/// allocated, per operation, medians of several repetitions. The chain is root -> issuing CA (sent by the peer, not pinned)
/// -> client leaf with a SPIFFE ID, ECDSA P-256 throughout, like the load harness's.
/// </summary>
internal static class HandshakeBreakdown
{
    private const int Leaves = 4200; // iterations x (repetitions + 1) must stay below this: a chain serves one judgement // more than the judgement cache and the verdict cache hold, so a "cold" leaf is never cached

    public static int Run(string[] args)
    {
        var iterations = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 600;
        var repetitions = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 5;

        using var root = TestPki.CreateRoot("Breakdown Root");
        using var issuing = root.CreateIntermediate("Breakdown Issuing CA");
        var trust = root.ToTrustBundle();
        var validator = new PeerCertificateValidator();
        var policy = new HandshakePolicy(validator, trust, PeerRole.Client, new PeerValidationOptions(), MtlsResumption.Enabled, new PeerChainCache(), TimeProvider.System, null);
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var metrics = new MtlsMetrics(services.GetRequiredService<IMeterFactory>(), new MtlsSourceRegistry(), TimeProvider.System);
        using var listener = new MeterListener { InstrumentPublished = (i, l) => { if (i.Meter.Name == MtlsDiagnostics.MeterName) { l.EnableMeasurementEvents(i); } } };
        listener.SetMeasurementEventCallback<long>((_, _, _, _) => { });
        listener.Start();
        var measured = new PeerCertificateValidator(TimeProvider.System, NullLogger.Instance, metrics);
        var measuredPolicy = new HandshakePolicy(measured, trust, PeerRole.Client, new PeerValidationOptions(), MtlsResumption.Enabled, new PeerChainCache(), TimeProvider.System, metrics);

        var ders = new byte[Leaves][];
        for (var i = 0; i < Leaves; i++)
        {
            using var leaf = issuing.IssueClient($"client-{i}", $"spiffe://example.org/ns/default/sa/client-{i}");
            ders[i] = leaf.Certificate.RawData;
        }

        var sent = new X509Certificate2Collection(issuing.PublicCopy());
        var chains = new X509Chain[Leaves];
        var chainsForJudge = new X509Chain[Leaves];
        var leaves = new X509Certificate2[Leaves];
        for (var i = 0; i < Leaves; i++)
        {
            leaves[i] = X509CertificateLoader.LoadCertificate(ders[i]);
            chains[i] = BuildChain(validator, trust, sent, leaves[i]);
            chainsForJudge[i] = BuildChain(validator, trust, sent, leaves[i]);
        }

        using var leafOnly = new X509Chain { ChainPolicy = validator.CreateChainPolicy(trust, PeerRole.Client, verificationTimeIgnored: true) };
        leafOnly.Build(leaves[0]);
        // The validator disposes the certificates of the chain it judges (SslStream's chain serves one handshake): a chain of
        // its own for the measured policy's first judgement; its later ones are lookups.
        using var measuredChain = BuildChain(validator, trust, sent, X509CertificateLoader.LoadCertificate(ders[0]));
        if (!measuredPolicy.Judge(leaves[0], measuredChain, resumptionOffered: false).Result.IsValid)
        {
            throw new InvalidOperationException("The measured policy does not accept the breakdown chain.");
        }

        var tracker = new PeerConnectionTracker(PeerRole.Client, TimeProvider.System, null, NullLogger.Instance);
        var accepted = policy.Judge(leaves[0], chains[0]);
        if (!accepted.Result.IsValid || !policy.Judge(leaves[0], leafOnly, resumptionOffered: true).Result.IsValid)
        {
            throw new InvalidOperationException("The breakdown chain does not validate: " + accepted.Result.Message);
        }

        var next = 0;
        var nextForJudge = 0;
        var parts = new (string Name, Action Body)[]
        {
            ("X509CertificateLoader.LoadCertificate of the leaf (what a copy used to cost)", () => X509CertificateLoader.LoadCertificate(ders[0]).Dispose()),
            ("PeerChain.Share: a handle copy (what a copy costs now)", () => new X509Certificate2(leaves[0].Handle).Dispose()),
            ("ValidUntil of a known chain", () => policy.ValidUntil(accepted.Chain!)),
            ("platform: X509Chain.Build, pinned policy (SslStream does this)", () => BuildChain(validator, trust, sent, leaves[0]).Dispose()),
            ("SHA-256 of the leaf (hex string key)", () => PeerChain.Hash(leaves[0])),
            ("PeerIdentity.FromCertificate (X509Certificate2 APIs)", () => PeerIdentity.FromCertificate(leaves[0])),
            ("ParsedCertificate.Parse (own DER parse)", () => ParsedCertificate.Parse(ders[0], CertificateHash.Of(ders[0]), leaves[0].Subject)),
            ("ValidateBuiltChain, new leaf, first use of its chain (cold)", () => { var i = next++ % Leaves; validator.ValidateBuiltChain(leaves[i], chains[i], trust, PeerRole.Client); }),
            ("HandshakePolicy.Judge, full, known client (verdict lookup)", () => policy.Judge(leaves[0], chains[0], resumptionOffered: false)),
            ("HandshakePolicy.Judge, full, new leaf each time (cold)", () => { var i = nextForJudge++ % Leaves; policy.Judge(leaves[i], chainsForJudge[i], resumptionOffered: false); }),
            ("HandshakePolicy.Judge, resumed (leaf only), known client", () => policy.Judge(leaves[0], leafOnly, resumptionOffered: true)),
            ("HandshakePolicy.Judge, full, known client, metrics listened", () => measuredPolicy.Judge(leaves[0], chains[0], resumptionOffered: false)),
            ("PeerConnectionTracker.Track + Dispose", () => tracker.Track("c", accepted, null, static () => { }).Dispose()),
            ("metrics: Handshake + Validated, listened", () => { metrics.Handshake(PeerRole.Client, false, MtlsRejectionReason.None); metrics.Validated(PeerRole.Client, MtlsRejectionReason.None); }),
        };

        Console.WriteLine($"| part | CPU µs/op (median of {repetitions}) | range | allocated B/op |");
        Console.WriteLine("|---|---:|---:|---:|");
        foreach (var (name, body) in parts)
        {
            for (var i = 0; i < Math.Min(iterations, 200); i++)
            {
                body(); // warm-up: JIT tiers, caches
            }

            var times = new double[repetitions];
            long bytes = 0;
            for (var r = 0; r < repetitions; r++)
            {
                var allocated = GC.GetAllocatedBytesForCurrentThread();
                var start = ThreadCpuNanoseconds();
                for (var i = 0; i < iterations; i++)
                {
                    body();
                }

                times[r] = (ThreadCpuNanoseconds() - start) / 1000.0 / iterations;
                bytes = (GC.GetAllocatedBytesForCurrentThread() - allocated) / iterations;
            }

            Array.Sort(times);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {name} | {times[repetitions / 2]:F1} | {times[0]:F1}–{times[^1]:F1} | {bytes} |"));
        }

        if (!measuredPolicy.Judge(leaves[0], chains[0], resumptionOffered: false).Result.IsValid)
        {
            throw new InvalidOperationException("The measured policy stopped accepting the breakdown chain: the figures are not of accepted handshakes.");
        }

        tracker.Dispose();
        foreach (var chain in chains.Concat(chainsForJudge))
        {
            chain.Dispose();
        }

        return 0;
    }

    private static X509Chain BuildChain(PeerCertificateValidator validator, TrustBundle trust, X509Certificate2Collection sent, X509Certificate2 leaf)
    {
        var chain = new X509Chain { ChainPolicy = validator.CreateChainPolicy(trust, PeerRole.Client, verificationTimeIgnored: true) };
        chain.ChainPolicy.ExtraStore.AddRange(sent);
        chain.Build(leaf);
        return chain;
    }

    private static long ThreadCpuNanoseconds()
    {
        const int ClockThreadCpuTimeId = 3;
        return clock_gettime(ClockThreadCpuTimeId, out var ts) == 0 ? (ts.Seconds * 1_000_000_000L) + ts.Nanoseconds : 0;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

#pragma warning disable SYSLIB1054, CA5392 // a benchmark-only call into libc
    [DllImport("libc", SetLastError = false)]
    private static extern int clock_gettime(int clockId, out TimeSpec time);
#pragma warning restore SYSLIB1054, CA5392
}
