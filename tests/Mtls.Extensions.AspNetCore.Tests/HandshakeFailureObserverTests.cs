using System.Diagnostics;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Mtls.Extensions.Tests.Interop;

namespace Mtls.Extensions.AspNetCore.Tests;

/// <summary>
/// Issue 24 item 11: a handshake the TLS stack ended before the client certificate was judged is logged (event 252) and
/// counted with the class of TLS failure, each class driven by a real peer; a bare TCP connect only at Debug.
/// </summary>
public sealed class HandshakeFailureObserverTests(TestPkiFixture pki) : IClassFixture<TestPkiFixture>
{
    [Fact]
    public async Task BareTcpConnect_LoadBalancerCheck_CountedAsClosedAndLoggedAtDebugOnly()
    {
        using var host = Start("Debug");
        using var collector = host.CollectValidations();

        using (var tcp = new TcpClient())
        {
            await tcp.ConnectAsync(IPAddress.Loopback, host.BaseAddress.Port);
        }

        var failed = await FailureAsync(host, collector);
        Assert.Equal("closed", failed.Tag);
        Assert.Equal(LogLevel.Debug, failed.Record.Level);
        Assert.Contains("(HandshakeFailed, closed)", failed.Record.Message, StringComparison.Ordinal);
        Assert.Contains("health check", failed.Record.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BareTcpConnect_DefaultWarningLevel_CountedButNotLogged()
    {
        using var host = Start("Warning");
        using var collector = host.CollectValidations();

        using (var tcp = new TcpClient())
        {
            await tcp.ConnectAsync(IPAddress.Loopback, host.BaseAddress.Port);
        }

        Assert.Equal("closed", await TagAsync(collector));
        Assert.DoesNotContain(host.Services.GetFakeLogCollector().GetSnapshot(), r => r.Id.Id == 252);
    }

    [Fact]
    public async Task PlainHttp_ToTheHttpsPort_ClassNotTls()
    {
        using var host = Start("Warning");
        using var collector = host.CollectValidations();

        using (var tcp = new TcpClient())
        {
            await tcp.ConnectAsync(IPAddress.Loopback, host.BaseAddress.Port);
            var stream = tcp.GetStream();
            await stream.WriteAsync(Encoding.ASCII.GetBytes("GET /ping HTTP/1.1\r\nHost: localhost\r\n\r\n"));
            await DrainAsync(stream);
        }

        var failed = await FailureAsync(host, collector);
        Assert.True(failed.Tag == "not_tls", failed.Record.Message);
        Assert.Equal(LogLevel.Warning, failed.Record.Level);
        Assert.Contains("did not speak TLS", failed.Record.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StalledClient_PartialRecordHeader_ClassTimeout()
    {
        var host = new MtlsTestHost(
            pki,
            new Dictionary<string, string?> { ["Logging:LogLevel:Mtls.Extensions"] = "Warning" },
            configureServices: s => s.AddFakeLogging().Configure<Microsoft.AspNetCore.Server.Kestrel.Core.KestrelServerOptions>(k => k.ConfigureHttpsDefaults(h => h.HandshakeTimeout = TimeSpan.FromSeconds(1))));
        using var disposable = host;
        host.StartServer();
        using var collector = host.CollectValidations();

        using (var tcp = new TcpClient())
        {
            await tcp.ConnectAsync(IPAddress.Loopback, host.BaseAddress.Port);
            var stream = tcp.GetStream();
            await stream.WriteAsync(new byte[] { 0x16, 0x03, 0x01, 0x00, 0xc8 });
            await DrainAsync(stream);
        }

        var failed = await FailureAsync(host, collector);
        Assert.True(failed.Tag == "timeout", failed.Record.Message);
        Assert.Contains("handshake timeout", failed.Record.Message, StringComparison.Ordinal);
    }

    [InteropFact("openssl")]
    public async Task OpensslTls11Client_Handshake_ClassProtocolVersion()
    {
        using var host = Start("Warning");
        using var collector = host.CollectValidations();
        var (cert, key) = Write(pki.Orders, "tls11");

        var (_, output) = await ExternalProcess.RunAsync("openssl", ["s_client", "-connect", $"127.0.0.1:{host.BaseAddress.Port}", "-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0", "-cert", cert, "-key", key, "-CAfile", pki.CaPath], "Q\n");

        var failed = await FailureAsync(host, collector);
        Assert.Equal("protocol_version", failed.Tag);
        Assert.Contains("TLS 1.2 or 1.3", failed.Record.Message, StringComparison.Ordinal);
        Assert.Contains("alert protocol version", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OversizedCertificateChain_Handshake_ClassSizeLimit()
    {
        using var host = Start("Warning");
        using var collector = host.CollectValidations();
        using var huge = CreateHugeCertificate(1024 * 1024);
        using var client = host.CreateMtlsClient(SslStreamCertificateContext.Create(huge, [], offline: true));

        await Assert.ThrowsAnyAsync<HttpRequestException>(() => client.GetStringAsync("/anonymous"));

        var failed = await FailureAsync(host, collector);
        Assert.Equal("size_limit", failed.Tag);
        Assert.Contains("size limit", failed.Record.Message, StringComparison.Ordinal);
    }

    [InteropFact("python3")]
    public async Task PythonClientNotTrustingTheServer_SendsAlert_ClassPeerAlert()
    {
        using var host = Start("Warning");
        using var collector = host.CollectValidations();
        var (cert, key) = Write(pki.Orders, "python");
        // Memory BIOs, so that the alert goes out and the socket closes gracefully: a client that closes with the rest of
        // the server's flight unread resets the connection, and a reset can discard the alert before the server reads it.
        const string Client = """
            import socket, ssl, sys
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            ctx.load_cert_chain(sys.argv[2], sys.argv[3])
            sock = socket.create_connection(('127.0.0.1', int(sys.argv[1])))
            incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
            tls = ctx.wrap_bio(incoming, outgoing, server_hostname='localhost')
            try:
                while True:
                    try:
                        tls.do_handshake()
                        break
                    except ssl.SSLWantReadError:
                        sock.sendall(outgoing.read())
                        data = sock.recv(65536)
                        if not data:
                            break
                        incoming.write(data)
            except ssl.SSLError as e:
                print(e)
            sock.sendall(outgoing.read())
            sock.shutdown(socket.SHUT_WR)
            while sock.recv(65536):
                pass
            sock.close()
            """;

        var (_, output) = await ExternalProcess.RunAsync("python3", ["-c", Client, host.BaseAddress.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), cert, key]);

        Assert.Contains("CERTIFICATE_VERIFY_FAILED", output, StringComparison.Ordinal);
        var failed = await FailureAsync(host, collector);
        Assert.True(failed.Tag == "peer_alert", failed.Record.Message);
        Assert.Contains("does not trust the server's certificate", failed.Record.Message, StringComparison.Ordinal);
    }

    private MtlsTestHost Start(string level)
    {
        var host = new MtlsTestHost(pki, new Dictionary<string, string?> { ["Logging:LogLevel:Mtls.Extensions"] = level }, configureServices: s => s.AddFakeLogging());
        host.StartServer();
        return host;
    }

    private (string Certificate, string Key) Write(Mtls.Extensions.Testing.TestCertificate certificate, string name) =>
        (pki.WriteFile(name + ".crt", certificate.ExportCertificatePem()), pki.WriteFile(name + ".key", certificate.ExportKeyPem()));

    private static async Task<(FakeLogRecord Record, string Tag)> FailureAsync(MtlsTestHost host, MetricCollector<long> collector)
    {
        var tag = await TagAsync(collector);

        // Counted first, then logged: wait for the line too (bounded).
        var logs = host.Services.GetFakeLogCollector();
        var deadline = Stopwatch.StartNew();
        while (!logs.GetSnapshot().Any(r => r.Id.Id == 252) && deadline.Elapsed < TimeSpan.FromSeconds(10))
        {
            await Task.Delay(20);
        }

        var records = logs.GetSnapshot().Where(r => r.Id.Id == 252).ToList();
        Assert.True(records.Count == 1, $"class {tag}, {records.Count} events 252: " + string.Join(" | ", records.Select(r => r.Message)));
        Assert.Contains("127.0.0.1", records[0].Message, StringComparison.Ordinal);
        Assert.Contains($"(HandshakeFailed, {tag})", records[0].Message, StringComparison.Ordinal);
        return (records[0], tag);
    }

    // The server notices the failure when the connection ends, just after the peer did: wait for the count (bounded).
    private static async Task<string> TagAsync(MetricCollector<long> collector)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(30))
        {
            var failures = collector.GetMeasurementSnapshot().Where(m => Equals(m.Tags.GetValueOrDefault("error.type"), nameof(MtlsRejectionReason.HandshakeFailed))).ToList();
            if (failures.Count > 0)
            {
                var failure = Assert.Single(failures);
                return Assert.IsType<string>(failure.Tags["mtls.tls.failure"]);
            }

            await Task.Delay(50);
        }

        throw new TimeoutException("no handshake failure was counted within 30 s");
    }

    private static async Task DrainAsync(NetworkStream stream)
    {
        var buffer = new byte[4096];
        try
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            while (await stream.ReadAsync(buffer, cts.Token) > 0)
            {
            }
        }
        catch (IOException)
        {
        }
    }

    private static X509Certificate2 CreateHugeCertificate(int extensionBytes)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=huge", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.2")], critical: false));
        request.CertificateExtensions.Add(new X509Extension("1.3.6.1.4.1.55555.1", new byte[extensionBytes], critical: false));
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
    }
}
