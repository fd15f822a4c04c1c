using Mtls.Extensions.Testing;
using Mtls.Extensions.Tests.Interop;

namespace Mtls.Extensions.AspNetCore.Tests;

/// <summary>
/// Issue 24 item 17, measured: what a client on another stack sees when this server (Kestrel, SslStream, OpenSSL on
/// Linux) rejects its certificate under <c>ClientCertificateMode</c> <c>Require</c>. SslStream calls the certificate
/// validation callback only after OpenSSL has finished the handshake (a TLS 1.2 client even receives the session ticket
/// that precedes the server's Finished), and on Linux it cannot send a TLS alert (SslStreamPal.Unix ApplyAlertToken is a
/// no-op): every client sees a successful handshake and then the connection end, with no alert. What the library can
/// offer is <c>Allow</c> mode, where the handshake completes and the request is answered 401. These tests pin each
/// client's symptom as docs/troubleshooting.md describes it.
/// </summary>
public sealed class RejectedClientInteropTests(TestPkiFixture pki) : IClassFixture<TestPkiFixture>
{
    private const string Request = "GET /ping HTTP/1.1\r\nHost: localhost\r\n\r\n";

    [InteropFact("openssl")]
    public async Task RejectedClient_OpensslTls12_HandshakeCompletesWithSessionTicketThenEofWithoutAlert()
    {
        using var host = Start();
        var (cert, key) = Rogue("openssl12");

        var (code, output) = await ExternalProcess.RunAsync("openssl", ["s_client", "-connect", Connect(host), "-tls1_2", "-cert", cert, "-key", key, "-CAfile", pki.CaPath, "-ign_eof"], Request);

        Assert.NotEqual(0, code);
        Assert.Contains("New, TLSv1.2", output, StringComparison.Ordinal);
        Assert.Contains("TLS session ticket lifetime hint: 7200", output, StringComparison.Ordinal);
        Assert.Contains("unexpected eof while reading", output, StringComparison.Ordinal);
        Assert.DoesNotContain(" alert ", output, StringComparison.Ordinal);
        Assert.DoesNotContain("HTTP/1.1", output, StringComparison.Ordinal);
    }

    [InteropFact("openssl")]
    public async Task RejectedClient_OpensslTls13_HandshakeCompletesWithTicketsThenEofWithoutAlert()
    {
        using var host = Start();
        var (cert, key) = Rogue("openssl13");

        var (code, output) = await ExternalProcess.RunAsync("openssl", ["s_client", "-connect", Connect(host), "-tls1_3", "-cert", cert, "-key", key, "-CAfile", pki.CaPath, "-ign_eof"], Request);

        Assert.NotEqual(0, code);
        Assert.Contains("New, TLSv1.3", output, StringComparison.Ordinal);
        Assert.Contains("Post-Handshake New Session Ticket arrived", output, StringComparison.Ordinal);
        Assert.Contains("unexpected eof while reading", output, StringComparison.Ordinal);
        Assert.DoesNotContain(" alert ", output, StringComparison.Ordinal);
    }

    [InteropFact("curl")]
    public async Task RejectedClient_Curl_TransferErrorAfterHandshakeNotTlsAlert()
    {
        using var host = Start();
        var (cert, key) = Rogue("curl");
        var url = new Uri(host.BaseAddress, "/ping").ToString();

        var (h2, h2Output) = await ExternalProcess.RunAsync("curl", ["-sS", "--cert", cert, "--key", key, "--cacert", pki.CaPath, url]);
        var (h1, h1Output) = await ExternalProcess.RunAsync("curl", ["-sS", "--http1.1", "--tlsv1.2", "--tls-max", "1.2", "--cert", cert, "--key", key, "--cacert", pki.CaPath, url]);

        // HTTP/2 (ALPN h2): 18 "HTTP/2 stream 1 was not closed cleanly before end of the underlying stream";
        // HTTP/1.1: 52 "Empty reply from server" (56 "Recv failure" when the close is a reset).
        Assert.True(h2 is 18 or 52 or 56, $"curl exited {h2}: {h2Output}");
        Assert.True(h1 is 52 or 56, $"curl exited {h1}: {h1Output}");
        Assert.DoesNotContain("alert", h2Output + h1Output, StringComparison.OrdinalIgnoreCase);
    }

    [InteropFact("python3")]
    public async Task RejectedClient_PythonSsl_HandshakeSucceedsThenEmptyRead()
    {
        using var host = Start();
        var (cert, key) = Rogue("python");
        const string Python = """
            import socket, ssl, sys
            for v in (ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3):
                ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
                ctx.minimum_version = v; ctx.maximum_version = v
                ctx.load_verify_locations(sys.argv[4]); ctx.load_cert_chain(sys.argv[2], sys.argv[3])
                try:
                    s = ctx.wrap_socket(socket.create_connection(('127.0.0.1', int(sys.argv[1]))), server_hostname='localhost')
                    print(v.name, 'handshake', s.version())
                    s.sendall(b'GET /ping HTTP/1.1\r\nHost: localhost\r\n\r\n')
                    print(v.name, 'recv', repr(s.recv(100)))
                except Exception as e:
                    print(v.name, type(e).__name__, e)
            """;

        var (_, output) = await ExternalProcess.RunAsync("python3", ["-c", Python, Port(host), cert, key, pki.CaPath]);

        Assert.Contains("TLSv1_2 handshake TLSv1.2", output, StringComparison.Ordinal);
        Assert.Contains("TLSv1_2 recv b''", output, StringComparison.Ordinal);
        Assert.Contains("TLSv1_3 handshake TLSv1.3", output, StringComparison.Ordinal);
        Assert.Contains("TLSv1_3 recv b''", output, StringComparison.Ordinal);
    }

    [InteropFact("node")]
    public async Task RejectedClient_NodeTls_SecureConnectSessionTicketThenEndWithoutError()
    {
        using var host = Start();
        var (cert, key) = Rogue("node");
        const string Node = """
            const tls = require('tls'), fs = require('fs');
            const [port, cert, key, ca] = process.argv.slice(1);
            for (const v of ['TLSv1.2', 'TLSv1.3']) {
              const s = tls.connect({ host: '127.0.0.1', port: +port, servername: 'localhost', cert: fs.readFileSync(cert), key: fs.readFileSync(key), ca: fs.readFileSync(ca), minVersion: v, maxVersion: v }, () => {
                console.log(v, 'secureConnect', s.getProtocol());
                s.write('GET /ping HTTP/1.1\r\nHost: localhost\r\n\r\n');
              });
              s.once('session', () => console.log(v, 'session ticket'));
              s.on('data', d => console.log(v, 'data'));
              s.on('end', () => console.log(v, 'end'));
              s.on('error', e => console.log(v, 'error', e.code));
            }
            """;

        var (_, output) = await ExternalProcess.RunAsync("node", ["-e", Node, Port(host), cert, key, pki.CaPath]);

        foreach (var v in new[] { "TLSv1.2", "TLSv1.3" })
        {
            Assert.Contains($"{v} secureConnect {v}", output, StringComparison.Ordinal);
            Assert.Contains($"{v} session ticket", output, StringComparison.Ordinal);
            Assert.Contains($"{v} end", output, StringComparison.Ordinal);
        }

        Assert.DoesNotContain("error", output, StringComparison.Ordinal);
        Assert.DoesNotContain("data", output, StringComparison.Ordinal);
    }

    [InteropFact("curl")]
    public async Task RejectedClient_AllowModeWithCurl_Http401NamingTheScheme()
    {
        using var host = new MtlsTestHost(pki, new Dictionary<string, string?> { ["Mtls:Server:ClientCertificateMode"] = "Allow" });
        host.StartServer();
        var (cert, key) = Rogue("curl-allow");

        var (code, output) = await ExternalProcess.RunAsync("curl", ["-sS", "-i", "--cert", cert, "--key", key, "--cacert", pki.CaPath, new Uri(host.BaseAddress, "/ping").ToString()]);

        Assert.True(code == 0, $"curl exited {code}: {output}");
        Assert.Contains("HTTP/2 401", output, StringComparison.Ordinal);
        Assert.Contains("www-authenticate: MutualTls", output, StringComparison.OrdinalIgnoreCase);
    }

    private static string Port(MtlsTestHost host) => host.BaseAddress.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static string Connect(MtlsTestHost host) => "127.0.0.1:" + Port(host);

    private MtlsTestHost Start()
    {
        var host = new MtlsTestHost(pki);
        host.StartServer();
        return host;
    }

    // A client certificate from a CA the server does not pin: the server rejects it (UntrustedRoot).
    private (string Certificate, string Key) Rogue(string name)
    {
        using var root = TestPki.CreateRoot("Rogue Root " + name);
        using var rogue = root.IssueClient("rogue-" + name, TestPkiFixture.OrdersId);
        return (pki.WriteFile($"rogue17-{name}.crt", rogue.ExportCertificatePem()), pki.WriteFile($"rogue17-{name}.key", rogue.ExportKeyPem()));
    }
}
