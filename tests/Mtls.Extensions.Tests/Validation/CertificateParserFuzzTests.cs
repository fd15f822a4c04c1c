using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Mtls.Extensions.Testing;
using Mtls.Extensions.Validation.Internal;
using Xunit.Abstractions;

namespace Mtls.Extensions.Tests.Validation;

/// <summary>
/// A bounded DER-mutation fuzz loop over a real leaf and a real intermediate: bit flips, byte insertions and deletions,
/// corrupted length fields and truncations, fed to the certificate parser and to the validator. Whatever the platform
/// loads, the parser either parses or throws <see cref="CryptographicException"/>, and the validator returns a rejection;
/// nothing else escapes, and nothing takes long. Fixed seed; <c>MTLS_PROPERTY_BUDGET=20</c> runs twenty times as many.
/// </summary>
public sealed class CertificateParserFuzzTests(ITestOutputHelper output) : IDisposable
{
    private const int Seed = 20261208;
    private static readonly TimeSpan MaxPerValidation = TimeSpan.FromSeconds(2);

    private readonly TestCertificateAuthority _root = TestPki.CreateRoot("Fuzz Root");
    private TestCertificateAuthority? _issuing;
    private TestCertificate? _leaf;

    private static int Budget =>
        int.TryParse(Environment.GetEnvironmentVariable("MTLS_PROPERTY_BUDGET"), NumberStyles.None, CultureInfo.InvariantCulture, out var budget) && budget > 0 ? budget : 1;

    public void Dispose()
    {
        _leaf?.Dispose();
        _issuing?.Dispose();
        _root.Dispose();
    }

    [Fact]
    public void ParseAndValidate_MutatedLeafDer_OnlyRejects()
    {
        var (leaf, intermediates, trust) = Chain();
        var original = leaf.RawData;
        Fuzz(original, mutated => new PeerCertificateValidator().Validate(mutated, intermediates, trust, PeerRole.Client), Seed, 2000 * Budget);
    }

    [Fact]
    public void ParseAndValidate_MutatedIntermediateDer_OnlyRejects()
    {
        var (leaf, intermediates, trust) = Chain();
        var original = intermediates[0].RawData;
        Fuzz(original, mutated =>
        {
            X509Certificate2 intermediate;
            try
            {
                intermediate = X509CertificateLoader.LoadCertificate(mutated);
            }
            catch (CryptographicException)
            {
                return null; // the platform refuses to load it: it never reaches the validator
            }

            using (intermediate)
            {
                return new PeerCertificateValidator().Validate(leaf, [intermediate], trust, PeerRole.Client);
            }
        }, Seed + 1, 1000 * Budget);
    }

    private static byte[] Mutate(byte[] original, Random random, out string how)
    {
        var bytes = new List<byte>(original);
        var position = random.Next(bytes.Count);
        switch (random.Next(6))
        {
            case 0:
                var bit = random.Next(8);
                bytes[position] ^= (byte)(1 << bit);
                how = $"bit {bit} of byte {position} flipped";
                break;
            case 1:
                var inserted = (byte)random.Next(256);
                bytes.Insert(position, inserted);
                how = $"0x{inserted:X2} inserted at {position}";
                break;
            case 2:
                bytes.RemoveAt(position);
                how = $"byte {position} deleted";
                break;
            case 3:
                // A length field: the byte after a constructed or primitive tag we recognise, set to a nearby or extreme value.
                var tags = Enumerable.Range(0, bytes.Count - 1).Where(i => bytes[i] is 0x30 or 0x31 or 0x04 or 0x03 or 0x02 or 0x06 or 0xA0 or 0xA3).ToArray();
                var at = tags[random.Next(tags.Length)] + 1;
                var value = random.Next(5) switch
                {
                    0 => (byte)0x00,
                    1 => (byte)0x80,
                    2 => (byte)0xFF,
                    3 => (byte)(bytes[at] + 1),
                    _ => (byte)(bytes[at] - 1),
                };
                how = $"length at {at} 0x{bytes[at]:X2} -> 0x{value:X2}";
                bytes[at] = value;
                break;
            case 4:
                var length = random.Next(1, bytes.Count);
                bytes.RemoveRange(length, bytes.Count - length);
                how = $"truncated to {length} bytes";
                break;
            default:
                var count = random.Next(2, 6);
                for (var i = 0; i < count; i++)
                {
                    bytes[random.Next(bytes.Count)] = (byte)random.Next(256);
                }

                how = $"{count} random bytes overwritten";
                break;
        }

        return [.. bytes];
    }

    private (X509Certificate2 Leaf, X509Certificate2Collection Intermediates, TrustBundle Trust) Chain()
    {
        _issuing = _root.CreateIntermediate("Fuzz Issuing CA");
        _leaf = _issuing.IssueLeaf("orders", o => o.ForClient().WithSpiffeId("spiffe://example.org/ns/prod/sa/orders").WithDnsNames("orders.example.org"));
        var trust = _root.ToTrustBundle();
        var leaf = _leaf.PublicCopy();
        var intermediates = _leaf.IntermediatesCollection();
        Assert.True(new PeerCertificateValidator().Validate(leaf, intermediates, trust, PeerRole.Client).IsValid, "the unmutated chain must be accepted");
        return (leaf, intermediates, trust);
    }

    private void Fuzz(byte[] original, Func<byte[], PeerValidationResult?> validate, int seed, int iterations)
    {
        var random = new Random(seed);
        var failures = new List<string>();
        int parsed = 0, parserRefused = 0, judged = 0;
        var slowest = TimeSpan.Zero;
        for (var i = 0; i < iterations && failures.Count < 10; i++)
        {
            var mutated = Mutate(original, random, out var how);
            if (mutated.AsSpan().SequenceEqual(original))
            {
                continue;
            }

            try
            {
                ParsedCertificate.Parse(mutated, CertificateHash.Of(mutated), "fuzz");
                parsed++;
            }
            catch (CryptographicException)
            {
                parserRefused++;
            }
            catch (Exception ex)
            {
                failures.Add($"parser: {how}: {ex.GetType().Name}: {ex.Message} [{Convert.ToBase64String(mutated)}]");
                continue;
            }

            var started = Stopwatch.GetTimestamp();
            try
            {
                var result = validate(mutated);
                var elapsed = Stopwatch.GetElapsedTime(started);
                slowest = elapsed > slowest ? elapsed : slowest;
                if (result is null)
                {
                    continue;
                }

                judged++;
                if (result.IsValid)
                {
                    failures.Add($"validator accepted: {how} [{Convert.ToBase64String(mutated)}]");
                }
                else if (result.Reason == MtlsRejectionReason.None)
                {
                    failures.Add($"validator rejected without a reason: {how}");
                }

                if (elapsed > MaxPerValidation)
                {
                    failures.Add($"validator took {elapsed.TotalMilliseconds} ms: {how}");
                }
            }
            catch (Exception ex)
            {
                failures.Add($"validator: {how}: {ex.GetType().Name}: {ex.Message} [{Convert.ToBase64String(mutated)}]");
            }
        }

        output.WriteLine($"{iterations} mutations of {original.Length} bytes: parser parsed {parsed}, refused {parserRefused}; validator judged {judged}; slowest {slowest.TotalMilliseconds:F1} ms");
        Assert.True(failures.Count == 0, string.Join('\n', failures));
    }
}
