using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Mtls.Extensions.Testing;
using Mtls.Extensions.Tests.Interop;

namespace Mtls.Tool.Tests;

public sealed class ListenCommandTests(ToolPki pki) : IClassFixture<ToolPki>
{
    [InteropFact("curl")]
    public async Task Listen_CurlWithChain_ShowsTreeAndAccepts()
    {
        using var client = pki.Issuing.IssueClient("curl-client", "spiffe://example.org/ns/prod/sa/curl");
        client.WritePem(pki.File("curl-client.pem"), pki.File("curl-client.key"));
        var port = FreePort();

        var listen = MtlsToolProcess.RunAsync("listen", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--ca", pki.RootPath, "--timeout", "30", "--json");
        await WaitForPortAsync(port);
        var curl = await RunAsync("curl", "-sk", "--max-time", "20", "--cert", pki.File("curl-client.pem"), "--key", pki.File("curl-client.key"), $"https://127.0.0.1:{port}/");
        var run = await listen;

        Assert.Equal(0, run.ExitCode);
        Assert.Equal("accepted", run.Json["verdict"]!.GetValue<string>());
        var chain = run.Json["chain"]!.AsArray();
        Assert.Equal(2, chain.Count);
        Assert.Contains("CN=curl-client", chain[0]!["subject"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains("Tool Test Issuing CA", chain[1]!["subject"]!.GetValue<string>(), StringComparison.Ordinal);
        // curl got the report as the answer to its request.
        Assert.Contains("accepted", curl.Stdout, StringComparison.Ordinal);
    }

    [InteropFact("openssl")]
    public async Task Listen_OpensslLeafOnly_ShowsOneCertificateAndRejects()
    {
        using var client = pki.Issuing.IssueClient("openssl-client");
        var leaf = pki.WriteLeaf(client, "openssl-leaf.pem", withChain: false);
        System.IO.File.WriteAllText(pki.File("openssl-client.key"), client.ExportKeyPem());
        var port = FreePort();

        var listen = MtlsToolProcess.RunAsync("listen", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--ca", pki.RootPath, "--timeout", "30");
        await WaitForPortAsync(port);
        await RunAsync("openssl", "s_client", "-connect", $"127.0.0.1:{port}", "-cert", leaf, "-key", pki.File("openssl-client.key"));
        var run = await listen;

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("the client sent 1 certificate:", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("CN=openssl-client (leaf)", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("rejected: UntrustedRoot", run.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Listen_NoClientWithinTimeout_ExitsOne()
    {
        var run = await MtlsToolProcess.RunAsync("listen", "--port", "0", "--ca", pki.RootPath, "--timeout", "1");

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("no client completed a handshake within 1 s", run.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Listen_MissingCa_ExitsTwoNamingTheOption()
    {
        var run = await MtlsToolProcess.RunAsync("listen", "--port", "0", "--ca", pki.File("no-ca.pem"));

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("--ca '", run.Stderr, StringComparison.Ordinal);
    }

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    /// <summary>Connects until the tool listens (a connection closed before its handshake does not count for listen); at most 30 s.</summary>
    private static async Task WaitForPortAsync(int port)
    {
        for (var i = 0; i < 300; i++)
        {
            try
            {
                using var tcp = new TcpClient();
                await tcp.ConnectAsync(IPAddress.Loopback, port);
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(100);
            }
        }

        throw new TimeoutException($"mtls listen did not listen on port {port} within 30 s.");
    }

    private static async Task<ToolRun> RunAsync(string tool, params string[] arguments)
    {
        var info = new ProcessStartInfo(tool) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info)!;
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{tool} did not finish within 30 s.");
        }

        return new ToolRun(process.ExitCode, await stdout, await stderr);
    }
}
