using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Mtls.Extensions.Tests.Interop;
using Xunit;

namespace Mtls.Extensions.Http.Tests;

/// <summary>
/// The client against a TLS 1.3 server written with Python's <c>ssl</c> (OpenSSL underneath, nothing of ours): a
/// keep-alive connection that serves many requests (the client watches only a young connection's reads for the server
/// closing it), and a server that completes the handshake and then closes without answering — how a TLS 1.3 server that
/// refuses the client certificate after the handshake looks from the client.
/// </summary>
public sealed class PythonTlsServerInteropTests(ClientPki pki) : IClassFixture<ClientPki>
{
    private const string Name = "python";

    // argv: mode (serve|close|unwrap|tls11), cert, key, connection log. Prints the port, then serves until stdin closes.
    // unwrap: a TLS 1.3 server that completes the handshake, then ends the session cleanly (close_notify) without
    // reading the request, as a server that refuses the client certificate after the handshake does (Go's accept-then-close).
    // tls11: a server that offers only TLS 1.0 and 1.1 (OpenSSL 3 needs security level 0 for them).
    private const string Server = """
        import socket, ssl, sys, threading
        mode, cert, key, log = sys.argv[1:5]
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        if mode == 'tls11':
            ctx.set_ciphers('DEFAULT@SECLEVEL=0')
            ctx.minimum_version = ssl.TLSVersion.TLSv1
            ctx.maximum_version = ssl.TLSVersion.TLSv1_1
        else:
            ctx.minimum_version = ssl.TLSVersion.TLSv1_3
        ctx.load_cert_chain(cert, key)
        listener = socket.create_server(('127.0.0.1', 0))
        print(listener.getsockname()[1], flush=True)
        def handle(raw):
            with open(log, 'a') as f: f.write('connection\n')
            try:
                s = ctx.wrap_socket(raw, server_side=True)
                if mode == 'unwrap':
                    s.unwrap().close()  # close_notify right after the handshake, then the socket ends
                    return
                buffer = b''
                while True:
                    chunk = s.recv(65536)
                    if not chunk: break
                    buffer += chunk
                    while b'\r\n\r\n' in buffer:
                        _, buffer = buffer.split(b'\r\n\r\n', 1)
                        if mode == 'close':
                            s.close()  # no answer, no close_notify: the socket just ends
                            return
                        s.sendall(b'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok')
            except (ssl.SSLError, OSError):
                pass
        def accept():
            while True:
                raw, _ = listener.accept()
                threading.Thread(target=handle, args=(raw,), daemon=True).start()
        threading.Thread(target=accept, daemon=True).start()
        sys.stdin.read()
        """;

    [InteropFact("python3")]
    public async Task PythonTls13Server_FortyRequestsOnOneKeepAliveConnection_AllAnsweredOnOneConnection()
    {
        using var server = await PythonServer.StartAsync(pki, "serve");
        await using var provider = Client(server.BaseAddress);
        var client = provider.GetRequiredService<IHttpClientFactory>().CreateClient(Name);

        for (var i = 0; i < 40; i++)
        {
            Assert.Equal("ok", await client.GetStringAsync(new Uri("/ping", UriKind.Relative)));
        }

        // Well past the reads the client watches on a young connection: the rest go straight to the socket.
        Assert.Equal(1, server.Connections);
    }

    [InteropFact("python3")]
    public async Task PythonTls13Server_ClosesAfterHandshakeWithoutAnswer_RejectionByTheServerNotRetried()
    {
        using var server = await PythonServer.StartAsync(pki, "close");
        await using var provider = Client(server.BaseAddress);

        var error = await Assert.ThrowsAsync<MtlsHandshakeException>(() => provider.GetRequiredService<IHttpClientFactory>().CreateClient(Name).GetAsync(new Uri("/ping", UriKind.Relative)));

        Assert.Equal(MtlsHandshakeSide.Server, error.RejectedBy);
        Assert.Equal(MtlsRejectionReason.RejectedByPeer, error.Reason);
        Assert.Equal(1, server.Connections);
    }

    [InteropFact("python3")]
    public async Task PythonTls13Server_ClosesCleanlyRightAfterHandshake_OneHandshakeRejectionByTheServerNotRetried()
    {
        using var server = await PythonServer.StartAsync(pki, "unwrap");
        await using var provider = Client(server.BaseAddress);

        var error = await Assert.ThrowsAsync<MtlsHandshakeException>(() => provider.GetRequiredService<IHttpClientFactory>().CreateClient(Name).GetAsync(new Uri("/ping", UriKind.Relative)));

        Assert.Equal(MtlsHandshakeSide.Server, error.RejectedBy);
        Assert.Equal(MtlsRejectionReason.RejectedByPeer, error.Reason);
        Assert.Equal(1, server.Connections);
    }

    [InteropFact("python3")]
    public async Task PythonServerOfferingOnlyTls11_Request_MtlsHandshakeExceptionNamingTheProtocolNotRetried()
    {
        using var server = await PythonServer.StartAsync(pki, "tls11");
        await using var provider = Client(server.BaseAddress);

        var error = await Assert.ThrowsAsync<MtlsHandshakeException>(() => provider.GetRequiredService<IHttpClientFactory>().CreateClient(Name).GetAsync(new Uri("/ping", UriKind.Relative)));

        Assert.Equal(MtlsHandshakeSide.Server, error.RejectedBy);
        Assert.Equal(MtlsRejectionReason.HandshakeFailed, error.Reason);
        Assert.Contains("TLS 1.2", error.Message, StringComparison.Ordinal);
        Assert.Contains("127.0.0.1", error.Message, StringComparison.Ordinal);
        Assert.Contains("protocol version", error.Message, StringComparison.Ordinal);
        Assert.Equal(1, server.Connections);
    }

    private ServiceProvider Client(Uri baseAddress)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddMtlsHttpClient(Name, o =>
        {
            o.BaseAddress = baseAddress;
            o.Certificate.Pem = pki.Orders.ExportCertificatePem() + pki.Orders.ExportKeyPem();
            o.TrustedCa.Path = pki.CaPath;
            o.ExpectedServer = ClientPki.InventoryId;
            o.Resilience.RetryBaseDelay = TimeSpan.FromMilliseconds(10);
        });
        return services.BuildServiceProvider();
    }

    private sealed class PythonServer : IDisposable
    {
        private readonly Process _process;
        private readonly string _log;

        private PythonServer(Process process, int port, string log)
        {
            _process = process;
            _log = log;
            BaseAddress = new Uri($"https://127.0.0.1:{port}/");
        }

        public Uri BaseAddress { get; }

        public int Connections => File.Exists(_log) ? File.ReadAllLines(_log).Length : 0;

        public static async Task<PythonServer> StartAsync(ClientPki pki, string mode)
        {
            var (cert, key) = pki.Write(pki.Server, "python-" + mode);
            var log = Path.Combine(Path.GetDirectoryName(cert)!, "connections.log");
            var process = Process.Start(new ProcessStartInfo("python3", ["-c", Server, mode, cert, key, log])
            {
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                UseShellExecute = false,
            }) ?? throw new InvalidOperationException("python3 did not start");
            var line = await process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(15));
            return int.TryParse(line, out var port)
                ? new PythonServer(process, port, log)
                : throw new InvalidOperationException($"the Python TLS server printed '{line}' instead of its port");
        }

        public void Dispose()
        {
            try
            {
                _process.StandardInput.Close();
                if (!_process.WaitForExit(5000))
                {
                    _process.Kill();
                }
            }
            catch (InvalidOperationException)
            {
            }

            _process.Dispose();
        }
    }
}
