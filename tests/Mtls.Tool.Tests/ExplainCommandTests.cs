using Mtls.Extensions;

namespace Mtls.Tool.Tests;

public sealed class ExplainCommandTests
{
    [Fact]
    public async Task Explain_ReasonCode_PrintsMeaningCausesFixesAndKey()
    {
        var run = await MtlsToolProcess.RunAsync("explain", "MissingExtendedKeyUsage", "--json");

        Assert.Equal(0, run.ExitCode);
        var reason = run.Json["reason"]!;
        Assert.Equal("MissingExtendedKeyUsage", reason["code"]!.GetValue<string>());
        Assert.Contains("extended key usage", reason["meaning"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.False(string.IsNullOrEmpty(reason["likelyCauses"]!.GetValue<string>()));
        Assert.Equal("AllowMissingExtendedKeyUsage", Assert.Single(reason["relaxedBy"]!.AsArray())!.GetValue<string>());
    }

    [Fact]
    public async Task Explain_ConsoleLogLineOfTheLibrary_FindsEventIdAndReason()
    {
        // The console logger's shape of event 201 (Log.PeerRejected's template).
        const string line = "warn: Mtls.Extensions.Infrastructure.HandshakePolicy[201] Rejected Client certificate CN=orders (SHA-256 0A1B2C3D): "
            + "UntrustedRoot. The client certificate CN=orders chains to CN=Other Root CA, which is not pinned.";

        var run = await MtlsToolProcess.RunAsync("explain", line);

        Assert.Equal(0, run.ExitCode);
        Assert.StartsWith("event 201 PeerRejected:", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("UntrustedRoot: The chain ends at a CA that is not pinned", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("fixes:", run.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Explain_JsonLogLine_FindsEventIdAndReason()
    {
        const string line = """{"Timestamp":"2026-12-08T01:00:00Z","EventId":454,"LogLevel":"Warning","Category":"Mtls.Extensions.Http","Message":"The server orders.internal rejected the certificate of mTLS client inventory: RejectedByPeer (connection reset)."}""";

        var run = await MtlsToolProcess.RunAsync("explain", line, "--json");

        Assert.Equal(0, run.ExitCode);
        Assert.Equal(454, run.Json["event"]!["id"]!.GetValue<int>());
        Assert.Equal("RejectedByServer", run.Json["event"]!["name"]!.GetValue<string>());
        Assert.Equal(nameof(MtlsRejectionReason.RejectedByPeer), run.Json["reason"]!["code"]!.GetValue<string>());
    }

    [Fact]
    public async Task Explain_EventIdAlone_PrintsTheEvent()
    {
        var run = await MtlsToolProcess.RunAsync("explain", "402");

        Assert.Equal(0, run.ExitCode);
        Assert.StartsWith("event 402 ReloadFailed:", run.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Explain_Unknown_ExitsOneListingTheCodes()
    {
        var run = await MtlsToolProcess.RunAsync("explain", "the handshake broke");
        var usage = await MtlsToolProcess.RunAsync("explain");

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("names no reason code", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("UntrustedRoot", run.Stdout, StringComparison.Ordinal);
        Assert.Equal(2, usage.ExitCode);
    }
}
