using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Mtls.Extensions.Testing;

namespace Mtls.Tool.Tests;

/// <summary>
/// docs/mtls-tool.md's examples are the tool's own output: every ```console block starting with <c>$ mtls ...</c> is run
/// against files generated here (names as on the page), and what it prints must be the block's remaining lines. Values
/// that differ per run (hex serials, key ids and hashes, dates and times left) are masked on both sides. Set
/// MTLS_UPDATE_DOCS=1 to write the current output into the page instead.
/// </summary>
public sealed partial class DocsExamplesTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("mtls-docs-").FullName;

    [Fact]
    public async Task Docs_ConsoleExamples_AreWhatTheToolPrints()
    {
        var page = Path.Combine(MtlsToolProcess.RepositoryRoot(), "docs", "mtls-tool.md");
        var text = await File.ReadAllTextAsync(page);
        WriteExampleFiles();
        var blocks = ConsoleBlock().Matches(text);
        Assert.True(blocks.Count >= 5, $"docs/mtls-tool.md has only {blocks.Count} console examples");

        var updated = new StringBuilder(text);
        var failures = new List<string>();
        var outputs = new List<(Group Output, string Actual)>();

        // In page order: a later example may use what an earlier one wrote (dev-ca init, then issue).
        foreach (Match block in blocks)
        {
            var command = block.Groups["command"].Value;
            var expected = block.Groups["output"].Value;
            var run = await MtlsToolProcess.RunAsync(Arguments(command), null, _directory);
            var actual = run.Stdout + run.Stderr;
            if (Mask(actual) != Mask(expected))
            {
                failures.Add($"$ mtls {command}\n--- page:\n{expected}--- tool:\n{actual}");
            }

            outputs.Add((block.Groups["output"], actual));
        }

        foreach (var (output, actual) in Enumerable.Reverse(outputs))
        {
            updated.Remove(output.Index, output.Length).Insert(output.Index, actual);
        }

        if (Environment.GetEnvironmentVariable("MTLS_UPDATE_DOCS") == "1")
        {
            await File.WriteAllTextAsync(page, updated.ToString());
            return;
        }

        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    /// <summary>The files the page's examples name.</summary>
    private void WriteExampleFiles()
    {
        using var root = TestPki.CreateRoot("Dev Root CA");
        using var issuing = root.CreateIntermediate("Dev Issuing CA");
        root.WriteCertificatePem(Path.Combine(_directory, "ca.pem"));
        using var orders = issuing.IssueClient("orders", "spiffe://example.org/ns/prod/sa/orders");
        File.WriteAllText(Path.Combine(_directory, "orders.pem"), orders.ExportCertificatePem());
        File.WriteAllText(Path.Combine(_directory, "orders-leaf-only.pem"), orders.ExportCertificatePem(includeChain: false));
        // A DNS-named leaf: a SPIFFE peer without EKU is accepted where the endpoint takes SPIFFE identities (X509-SVID §4.4).
        using var reports = issuing.IssueLeaf("reports", o => o.WithoutExtendedKeyUsage().WithDnsNames("reports.example.org"));
        File.WriteAllText(Path.Combine(_directory, "reports.pem"), reports.ExportCertificatePem());
        var settings = new JsonObject
        {
            ["Mtls"] = new JsonObject
            {
                ["Server"] = new JsonObject
                {
                    ["TrustedCa"] = new JsonObject { ["Path"] = "ca.pem" },
                    ["AllowedPeers"] = new JsonArray("spiffe://example.org/ns/prod/sa/orders", "spiffe://example.org/ns/prod/sa/reports"),
                },
            },
        };
        File.WriteAllText(Path.Combine(_directory, "appsettings.json"), settings.ToJsonString(new() { WriteIndented = true }));
    }

    private static string[] Arguments(string command) =>
        [.. ArgumentPattern().Matches(command).Select(m => m.Groups["quoted"].Success ? m.Groups["quoted"].Value : m.Value)];

    private static string Mask(string value) =>
        Span().Replace(Date().Replace(Hex().Replace(value.Replace("\r", string.Empty, StringComparison.Ordinal), "#"), "@"), "~");

    [GeneratedRegex(@"```console\n\$ mtls (?<command>[^\n]*)\n(?<output>(?:(?!```)[^\n]*\n)*)```")]
    private static partial Regex ConsoleBlock();

    [GeneratedRegex(@"""(?<quoted>[^""]*)""|\S+")]
    private static partial Regex ArgumentPattern();

    [GeneratedRegex(@"[0-9A-Fa-f]{8,}")]
    private static partial Regex Hex();

    [GeneratedRegex(@"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)")]
    private static partial Regex Date();

    [GeneratedRegex(@"\d+(d|h|m) \d+(h|m|s)")]
    private static partial Regex Span();
}
