using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography.X509Certificates;
using Mtls.Extensions.Tests.Interop;
using Xunit.Abstractions;

namespace Mtls.Extensions.Tests.Validation;

/// <summary>
/// Property tests of the validator over generated chains (<see cref="RandomChain"/>): random basic constraints, key
/// usage, EKUs, name constraints, validity windows, key types and SANs. Fixed seeds and small budgets keep CI fast and
/// repeatable; <c>MTLS_PROPERTY_BUDGET=20</c> multiplies the budget (and moves the seed) for a longer search.
/// </summary>
public sealed class PeerCertificateValidatorPropertyTests(ITestOutputHelper output)
{
    private const ulong Seed = 20261208;
    private static readonly TimeSpan MaxPerValidation = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Where the library and <c>openssl verify -x509_strict -purpose sslclient|sslserver</c> may disagree, each by a rule
    /// the library documents (docs/validation.md, "Differences from OpenSSL"). Every disagreement found must be one of these.
    /// </summary>
    private static readonly DifferenceRule[] Differences =
    [
        // The library refuses RSA keys under 2048 bits anywhere in the path, the pinned anchor included; OpenSSL 3 at its
        // default security level 1 accepts 1024-bit RSA.
        new("RsaUnder2048Refused", (spec, result, openssl) =>
            openssl && result.Reason == MtlsRejectionReason.WeakKey && spec.All.Any(c => c.Key == KeyKind.Rsa1024)),

        // The library requires the role's EKU on the leaf; OpenSSL treats a leaf without an EKU extension as good for any purpose.
        new("LeafWithoutEkuRefused", (spec, result, openssl) =>
            openssl && result.Reason == MtlsRejectionReason.MissingExtendedKeyUsage && spec.Leaf.Eku == EkuKind.None),

        // RFC 5280 §6.1.4 (n) checks keyCertSign only when a CA has a key usage extension; "CAs MUST include it" (§4.2.1.3)
        // is an issuance rule the library does not enforce. OpenSSL -x509_strict refuses a CA without key usage (error 92).
        new("CaWithoutKeyUsageAccepted", (spec, result, openssl) =>
            !openssl && result.IsValid && spec.All.SkipLast(1).Any(c => c.KeyUsage == KeyUsageKind.None)),

        // The pinned anchor is trusted for its name and key (§6.1.1): issuance rules such as key identifiers do not refuse it.
        // OpenSSL -x509_strict refuses a CA without a subject key identifier (error 86), the anchor included.
        new("AnchorWithoutKeyIdentifierAccepted", (spec, result, openssl) =>
            !openssl && result.IsValid && !spec.Root.KeyIdentifiers),

        // The library refuses a peer leaf that is a CA (basicConstraints cA=TRUE); OpenSSL accepts a CA certificate as the
        // end entity for the SSL purposes.
        new("LeafThatIsCaRefused", (spec, result, openssl) =>
            openssl && result.Reason == MtlsRejectionReason.LeafIsCa && spec.Leaf.IsCa == true),

        // TLS 1.2 (ECDHE) and 1.3 authenticate a peer by a signature, so the library requires digitalSignature when a leaf
        // has key usage; OpenSSL's sslserver purpose also accepts keyEncipherment alone (RSA key transport), whatever the key.
        new("LeafKeyUsageWithoutDigitalSignatureRefused", (spec, result, openssl) =>
            openssl && result.Reason == MtlsRejectionReason.KeyUsageNotAllowed && spec.Leaf.KeyUsage is KeyUsageKind.KeyEncipherment or KeyUsageKind.CertSign),
    ];

    private static int Budget =>
        int.TryParse(Environment.GetEnvironmentVariable("MTLS_PROPERTY_BUDGET"), NumberStyles.None, CultureInfo.InvariantCulture, out var budget) && budget > 0 ? budget : 1;

    private static ulong RunSeed => Seed + (ulong)(Budget - 1);

    [Fact]
    public void Validate_RandomChains_NeverThrowsAndStaysBounded()
    {
        var validator = new PeerCertificateValidator();
        var accepted = 0;
        var slowest = TimeSpan.Zero;
        foreach (var spec in RandomChain.Sample(RunSeed, 150 * Budget))
        {
            var (result, elapsed) = Judge(validator, spec);
            Assert.True(result.IsValid || result.Reason != MtlsRejectionReason.None, $"{spec}: a rejection without a reason");
            Assert.True(elapsed < MaxPerValidation, $"{spec}: validation took {elapsed.TotalMilliseconds} ms");
            slowest = elapsed > slowest ? elapsed : slowest;
            accepted += result.IsValid ? 1 : 0;
        }

        output.WriteLine($"{150 * Budget} chains, {accepted} accepted, slowest validation {slowest.TotalMilliseconds:F1} ms");
        Assert.InRange(accepted, 1, (150 * Budget) - 1); // the generator reaches both verdicts
    }

    [InteropFact("openssl")]
    public void Validate_RandomChains_AgreesWithOpensslVerifyOrDiffersByListedRule()
    {
        var validator = new PeerCertificateValidator();
        var unexplained = new List<string>();
        var explained = new Dictionary<string, int>();
        var agreed = 0;
        using var directory = new TempDirectory();
        foreach (var spec in RandomChain.Sample(RunSeed + 1000, 60 * Budget))
        {
            var certificates = RandomChain.Build(spec, DateTimeOffset.UtcNow);
            try
            {
                var result = validator.Validate(certificates[^1], new X509Certificate2Collection(certificates[1..^1]), TrustBundle.Create([certificates[0]]), spec.Role);
                var (opensslAccepts, opensslSays) = OpensslVerify(directory.Path, certificates, spec.Role);
                if (result.IsValid == opensslAccepts)
                {
                    agreed++;
                    continue;
                }

                var rule = Array.Find(Differences, d => d.Explains(spec, result, opensslAccepts));
                if (rule is null)
                {
                    unexplained.Add($"library {(result.IsValid ? "accepts" : $"rejects ({result.Reason}: {result.Message})")}, openssl {(opensslAccepts ? "accepts" : $"rejects ({opensslSays})")}: {spec}");
                }
                else
                {
                    explained[rule.Name] = explained.GetValueOrDefault(rule.Name) + 1;
                }
            }
            finally
            {
                foreach (var certificate in certificates)
                {
                    certificate.Dispose();
                }
            }
        }

        output.WriteLine($"{agreed} agreed; explained: {string.Join(", ", explained.Select(e => $"{e.Key} x{e.Value}"))}");
        Assert.True(unexplained.Count == 0, $"{unexplained.Count} unexplained disagreements:\n{string.Join('\n', unexplained)}");
    }

    private static (PeerValidationResult Result, TimeSpan Elapsed) Judge(PeerCertificateValidator validator, ChainSpec spec)
    {
        var certificates = RandomChain.Build(spec, DateTimeOffset.UtcNow);
        try
        {
            var started = Stopwatch.GetTimestamp();
            var result = validator.Validate(certificates[^1], new X509Certificate2Collection(certificates[1..^1]), TrustBundle.Create([certificates[0]]), spec.Role, expectedHostName: spec.Role == PeerRole.Server ? "orders.example.org" : null);
            return (result, Stopwatch.GetElapsedTime(started));
        }
        finally
        {
            foreach (var certificate in certificates)
            {
                certificate.Dispose();
            }
        }
    }

    private static (bool Accepted, string Output) OpensslVerify(string directory, X509Certificate2[] certificates, PeerRole role)
    {
        var root = Path.Combine(directory, "root.pem");
        var untrusted = Path.Combine(directory, "untrusted.pem");
        var leaf = Path.Combine(directory, "leaf.pem");
        File.WriteAllText(root, certificates[0].ExportCertificatePem());
        File.WriteAllText(leaf, certificates[^1].ExportCertificatePem());
        var info = new ProcessStartInfo("openssl") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { "verify", "-x509_strict", "-purpose", role == PeerRole.Client ? "sslclient" : "sslserver", "-CAfile", root })
        {
            info.ArgumentList.Add(argument);
        }

        if (certificates.Length > 2)
        {
            File.WriteAllText(untrusted, string.Concat(certificates[1..^1].Select(c => c.ExportCertificatePem() + "\n")));
            info.ArgumentList.Add("-untrusted");
            info.ArgumentList.Add(untrusted);
        }

        info.ArgumentList.Add(leaf);
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEnd();
        Assert.True(process.WaitForExit(TimeSpan.FromSeconds(30)), "openssl verify did not finish");
        return (process.ExitCode == 0, (stdout.Result + stderr).ReplaceLineEndings(" ").Trim());
    }

    /// <summary>One documented difference: a name and when it explains a disagreement.</summary>
    private sealed record DifferenceRule(string Name, Func<ChainSpec, PeerValidationResult, bool, bool> Explains);

    private sealed class TempDirectory : IDisposable
    {
        public string Path { get; } = Directory.CreateTempSubdirectory("mtls-property-").FullName;

        public void Dispose() => Directory.Delete(Path, recursive: true);
    }
}
